// One deadline per audit: after it no command is started and what was read is reported, partial, with why.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { auditDeadlineAtMs, defaultDeadlineSeconds, DELIVERY_RESERVE_MS } from '../../lambda/core/deadline.js';
import { defaultPolicy } from '../../lambda/core/model.js';
import { runAudit } from '../../lambda/run-audit.js';
import { parseTargetUrl } from '../../lambda/redis/target-url.js';

let redis: LocalRedisServer;
beforeAll(async () => {
  redis = await startLocalRedis();
}, 30_000);
afterAll(async () => {
  await redis?.stop();
});

/** A clock that the audit's sleeps move forward: an interval of 10 s costs no real time. */
function fakeClock(startMs: number) {
  let offset = 0;
  return { now: () => startMs + offset + (Date.now() - startedReal), sleep: async (ms: number) => { offset += ms; } };
}
const startedReal = Date.now();

const base = { samples: 3, intervalMs: 10_000, policy: defaultPolicy, previousState: null, connectTimeoutMs: 2000, commandTimeoutMs: 2000, toolVersion: 'test' };

describe('the audit deadline', () => {
  it('stops sampling when the next sample would start after it, and reports what was read as partial', async () => {
    const clock = fakeClock(Date.now());
    const result = await runAudit({ ...base, target: parseTargetUrl(redis.url), ...clock, deadlineAtMs: clock.now() + 15_000 });

    expect(result.error?.name).toBe('DeadlineReachedError');
    expect(result.report.status).toBe('partial');
    expect(result.report.history.samplesThisRun).toBe(2);
    expect(result.report.nodes[0]?.errors.join(' ')).toContain('the audit deadline was reached after 2 of 3 samples');
  });

  it('contacts nothing when the deadline has already passed', async () => {
    const result = await runAudit({ ...base, target: parseTargetUrl(redis.url), deadlineAtMs: Date.now() - 1 });
    expect(result.report.status).toBe('failed');
    expect(result.report.auditor.connectionsOpened).toBe(0);
    expect(result.error?.message).toContain('deadline was reached before');
  });

  it('takes every sample when there is time', async () => {
    const clock = fakeClock(Date.now());
    const result = await runAudit({ ...base, target: parseTargetUrl(redis.url), ...clock, deadlineAtMs: clock.now() + 60_000 });
    expect(result.error).toBeNull();
    expect(result.report.status).toBe('ok');
    expect(result.report.history.samplesThisRun).toBe(3);
  });
});

describe('deadline rules', () => {
  it('defaults to the planned sampling plus a minute, at most an hour', () => {
    expect(defaultDeadlineSeconds(1, 10)).toBe(60);
    expect(defaultDeadlineSeconds(3, 10)).toBe(80);
    expect(defaultDeadlineSeconds(1000, 3600)).toBe(3600);
  });

  it('ends a Lambda target in time to deliver its report', () => {
    expect(auditDeadlineAtMs(1000, 60)).toBe(61_000);
    expect(auditDeadlineAtMs(1000, 60, 31_000)).toBe(31_000 - DELIVERY_RESERVE_MS);
  });
});
