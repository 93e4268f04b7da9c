import { describe, expect, it } from 'vitest';
import { selectTargets } from '../../lambda/invocation.js';
import { ConfigError } from '../../lambda/core/errors.js';

const all = [{ name: 'a', url: 'redis://a:6379' }, { name: 'b', url: 'redis://b:6379' }, { name: 'c', url: 'redis://c:6379' }];

describe('selectTargets (per-target fan-out)', () => {
  it('audits every target for a plain schedule event', () => {
    expect(selectTargets(all, { source: 'aws.events', 'detail-type': 'Scheduled Event' })).toEqual(all);
    expect(selectTargets(all, undefined)).toEqual(all);
  });

  it('audits only the targets the event names', () => {
    expect(selectTargets(all, { targets: ['c', 'a'] }).map((t) => t.name)).toEqual(['a', 'c']);
  });

  it('refuses an event naming an unknown target, with its name', () => {
    expect(() => selectTargets(all, { targets: ['a', 'zz'] })).toThrow(ConfigError);
    expect(() => selectTargets(all, { targets: ['zz'] })).toThrow('the event names targets that AUDIT_TARGETS does not define: zz');
  });
});
