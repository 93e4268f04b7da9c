// Counting per origin inside a workload: only names in the companion's form count, what one address holds
// decides what the leak rules see, and the number of origins kept per workload is bounded.
import { describe, expect, it } from 'vitest';
import { traitsOf } from '../../lambda/core/analyse-clients.js';
import type { ClientRecord } from '../../lambda/core/model.js';
import { MAX_ORIGINS_PER_WORKLOAD, OriginCounter, OTHER_ORIGINS } from '../../lambda/core/workload-origins.js';
import { many } from '../support/builders.js';
import { TEST_POLICY } from '../support/check-clients.js';

function counted(clients: readonly ClientRecord[]): OriginCounter {
  const counter = new OriginCounter();
  for (const c of clients) counter.add('name:orders-api', c, traitsOf(c, TEST_POLICY));
  return counter;
}

const usedOnce = { ageSeconds: 900, idleSeconds: 899 };

describe('OriginCounter', () => {
  it('leaves names in any other form alone', () => {
    const counter = counted([...many(3, { name: 'celery@worker-7' }), ...many(3, { name: 'orders-api' }), ...many(3, { name: 'a@b:c' })]);
    expect(counter.tallies().size).toBe(0);
  });

  it('counts what the rules count only where one address holds several of it', () => {
    const counter = counted([
      ...many(3, { name: 'orders-api@src/handlers/user.ts:42', sourceIp: '10.0.0.1', ...usedOnce }),
      ...many(1, { name: 'orders-api@src/handlers/user.ts:42', sourceIp: '10.0.0.2', ...usedOnce }),
      ...many(1, { name: 'orders-api@src/redis.ts:3', sourceIp: '10.0.0.1', ...usedOnce }),
      ...many(1, { name: 'orders-api@src/redis.ts:3', sourceIp: '10.0.0.2', ...usedOnce }),
    ]);
    expect(counter.tallies().get('name:orders-api')?.map((t) => [t.origin, t.connections, t.usedOnceIdle, t.onSeveral.usedOnceIdle]))
      .toEqual([['src/handlers/user.ts:42', 4, 4, 3], ['src/redis.ts:3', 2, 2, 0]]);
  });

  it(`keeps ${MAX_ORIGINS_PER_WORKLOAD} origins per workload and counts the rest together`, () => {
    const clients = Array.from({ length: MAX_ORIGINS_PER_WORKLOAD + 5 }, (_, i) => many(1, { name: `orders-api@src/r${i}.ts:1` })).flat();
    const counter = counted(clients);
    const tallies = counter.tallies().get('name:orders-api') ?? [];
    expect(tallies).toHaveLength(MAX_ORIGINS_PER_WORKLOAD + 1);
    expect(tallies.find((t) => t.origin === OTHER_ORIGINS)?.connections).toBe(5);
    expect(counter.overflowed).toBe(true);
    expect(counted(clients.slice(0, MAX_ORIGINS_PER_WORKLOAD)).overflowed).toBe(false);
  });
});
