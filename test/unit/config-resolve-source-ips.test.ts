import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lambda/config.js';
import { ConfigError } from '../../lambda/core/errors.js';

const base = {
  AWS_REGION: 'eu-west-1',
  REPORT_BUCKET: 'audit-reports-123',
  AUDIT_TARGETS: JSON.stringify([{ name: 'orders-cache', url: 'rediss://master.orders.abc.euw1.cache.amazonaws.com:6379' }]),
};

describe('RESOLVE_SOURCE_IPS', () => {
  it('is off unless set', () => {
    expect(loadConfig(base).resolveSourceIps).toBe(false);
    expect(loadConfig({ ...base, RESOLVE_SOURCE_IPS: '' }).resolveSourceIps).toBe(false);
  });

  it.each([['true', true], ['TRUE', true], ['false', false]])('reads %s as %s', (raw, expected) => {
    expect(loadConfig({ ...base, RESOLVE_SOURCE_IPS: raw }).resolveSourceIps).toBe(expected);
  });

  it('refuses anything else, naming the variable', () => {
    expect(() => loadConfig({ ...base, RESOLVE_SOURCE_IPS: 'yes' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, RESOLVE_SOURCE_IPS: 'yes' })).toThrow(/RESOLVE_SOURCE_IPS expects true or false, got 'yes'/);
  });
});
