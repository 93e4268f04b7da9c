import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambda/core/errors.js';
import { hostPort, parseTargetUrl, redactUrl, redactUrlsIn } from '../../lambda/redis/target-url.js';

describe('parseTargetUrl', () => {
  it.each([
    ['redis://localhost', { host: 'localhost', port: 6379, db: 0, tls: false, display: 'redis://localhost:6379' }],
    ['redis://10.0.0.5:6380/3', { host: '10.0.0.5', port: 6380, db: 3, tls: false, display: 'redis://10.0.0.5:6380' }],
    ['rediss://cache.example.com:6380', { host: 'cache.example.com', port: 6380, tls: true, display: 'rediss://cache.example.com:6380' }],
    ['REDISS://Cache.Example.com/', { host: 'Cache.Example.com', port: 6379, db: 0, tls: true }],
    ['redis://[::1]:7000', { host: '::1', port: 7000, display: 'redis://[::1]:7000' }],
    ['redis://[::1]', { host: '::1', port: 6379 }],
    ['redis://[fe80::1%25eth0]:7000', { host: 'fe80::1%eth0', port: 7000 }],
    ['redis://:s3cret@host', { host: 'host', password: 's3cret' }],
    ['redis://auditor:pw@host:1/0', { username: 'auditor', password: 'pw', port: 1 }],
    ['redis://auditor@host', { username: 'auditor' }],
    ['redis://us%40er:p%40ss%3Aw%2Frd%25@host', { username: 'us@er', password: 'p@ss:w/rd%' }],
    ['redis://user:p@ss@host', { username: 'user', password: 'p@ss', host: 'host' }],
    ['redis://user:a:b@host', { username: 'user', password: 'a:b' }],
    ['redis://user:@host', { username: 'user', password: '' }],
    ['  redis://host:6379  ', { host: 'host', port: 6379 }],
  ])('parses %s', (url, expected) => {
    expect(parseTargetUrl(url)).toMatchObject(expected);
  });

  it('leaves out the user and password that the URL does not give', () => {
    expect(parseTargetUrl('redis://:s3cret@host')).not.toHaveProperty('username');
    expect(parseTargetUrl('redis://auditor@host')).not.toHaveProperty('password');
    expect(parseTargetUrl('redis://host')).not.toHaveProperty('tlsCaFile');
  });

  it('keeps the TLS CA file of a rediss:// target', () => {
    expect(parseTargetUrl('rediss://host', { tlsCaFile: '/etc/ca.pem' }).tlsCaFile).toBe('/etc/ca.pem');
  });

  it('leaves the credentials out of the display string', () => {
    const target = parseTargetUrl('redis://auditor:hunter2-pass@host:6380/2');
    expect(target.display).toBe('redis://host:6380');
  });

  it.each([
    ['', /scheme/],
    ['localhost:6379', /scheme/],
    ['http://host', /scheme/],
    ['redis://', /host is missing/],
    ['redis://:6379', /host is missing/],
    ['redis://[]:6379', /host is missing/],
    ['redis://host:0', /port/],
    ['redis://host:65536', /port/],
    ['redis://host:', /port/],
    ['redis://host:abc', /port/],
    ['redis://host/db1', /database number/],
    ['redis://host/1/2', /database number/],
    ['redis://host?db=1', /query/],
    ['redis://host#x', /query/],
    ['redis://ho st', /host may contain/],
    ['redis://[not-ipv6]:1', /IPv6/],
    ['redis://:bad%zzpass@host', /percent-encoding/],
  ])('rejects %j with a ConfigError naming the expected form', (url, reason) => {
    const act = () => parseTargetUrl(url);
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(reason);
    expect(act).toThrow(/redis:\/\/\[user\[:password\]@\]host\[:port\]\[\/db\]/);
  });

  it('rejects a CA file with a plain redis:// URL', () => {
    expect(() => parseTargetUrl('redis://host', { tlsCaFile: '/ca.pem' })).toThrow(/rediss:\/\//);
  });

  it.each([
    'redis://user:Sup3rSecret@host:0',
    'redis://user:Sup3rSecret@host?x=1',
    'redis://:Sup3rSecret@',
    'redis://user:Sup3rSecret@[zz]:1',
    'redis://:Sup3rSecret%zz@host',
    'redis://user:Sup3rSecret/host',
    'http://user:Sup3rSecret@host',
    'redis://host?password=Sup3rSecret',
    'redis://user:Sup3rSecret\n@host:1/x\n',
  ])('never echoes the password of %j in the error', (url) => {
    let message = '';
    try {
      parseTargetUrl(url);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/Invalid Redis URL/);
    expect(message).not.toContain('Sup3rSecret');
    expect(message).not.toContain('\n');
  });
});

describe('redactUrl', () => {
  it.each([
    ['redis://user:pw@host:6379', 'redis://user:***@host:6379'],
    ['redis://:pw@host', 'redis://:***@host'],
    ['rediss://user:p@ss/w:rd@host:6380/1', 'rediss://user:***@host:6380/1'],
    ['redis://host:6379/0', 'redis://host:6379/0'],
    ['redis://[::1]:6379', 'redis://[::1]:6379'],
    ['redis://auditor@host', 'redis://auditor@host'],
    ['redis://host?password=pw', 'redis://host?***'],
    ['redis://host#pw', 'redis://host#***'],
    ['redis://user:pw/host', 'redis://user:***/host'],
    ['user:pw@host', 'user:***@host'],
    ['redis://u:pw@host\r\nX', 'redis://u:***@host  X'],
    ['', ''],
    ['not a url at all', 'not a url at all'],
  ])('redacts %j as %j', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe('hostPort', () => {
  it.each([
    ['127.0.0.1', 6379, '127.0.0.1:6379'],
    ['::1', 7000, '[::1]:7000'],
    ['cache.example.com', 1, 'cache.example.com:1'],
  ])('formats %s and %d as %s', (host, port, expected) => {
    expect(hostPort(host, port)).toBe(expected);
  });
});

describe('redactUrlsIn', () => {
  it.each([
    ["unexpected argument 'redis://:Sekr3t@Tail-99@127.0.0.1:6379'", "unexpected argument 'redis://:***@127.0.0.1:6379'"],
    ['x rediss://user:p@ss:w/rd@h:6380/0 y', 'x rediss://user:***@h:6380/0 y'],
    ['cannot connect to redis://127.0.0.1:1: ECONNREFUSED', 'cannot connect to redis://127.0.0.1:1: ECONNREFUSED'],
    ['expected redis://[user[:password]@]host[:port][/db]', 'expected redis://[user[:password]@]host[:port][/db]'],
  ])('redacts %j', (text, expected) => {
    expect(redactUrlsIn(text)).toBe(expected);
  });
});
