// CLIENT LIST text for the origin tests, as Redis 7.4 prints it, and the audit of one such listing: clients
// named in the companion's form (`orders-api@src/handlers/user.ts:42`) beside any other names.
import { assessAudit } from '../../lambda/core/audit.js';
import type { AuditPolicy } from '../../lambda/core/model.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { TEST_POLICY } from './check-clients.js';

export interface ClientLines {
  readonly name: string;
  /** Source address of every line. @default 10.0.0.21 */
  readonly ip?: string;
  readonly ageSeconds: number;
  readonly idleSeconds: number;
  /** `P` with `sub=1` for a subscriber. @default N */
  readonly flags?: string;
  readonly sub?: number;
}

/** A connection opened and abandoned: idle for its whole life. */
export const USED_ONCE = { ageSeconds: 900, idleSeconds: 899 } as const;
/** A long-lived client used a while ago: idle, but not since it was opened. */
export const USED_THEN_IDLE = { ageSeconds: 7200, idleSeconds: 900 } as const;

let nextId = 1000;

/** `count` CLIENT LIST lines of one shape (Redis 7.4 fields, in the server's order). */
export function clientLines(count: number, shape: ClientLines): string[] {
  const ip = shape.ip ?? '10.0.0.21';
  return Array.from({ length: count }, () => {
    const id = nextId++;
    return `id=${id} addr=${ip}:${30000 + (id % 30000)} laddr=10.0.0.5:6379 fd=${id % 1000} name=${shape.name} age=${shape.ageSeconds} `
      + `idle=${shape.idleSeconds} flags=${shape.flags ?? 'N'} db=0 sub=${shape.sub ?? 0} psub=0 ssub=0 multi=-1 watch=0 qbuf=0 qbuf-free=0 `
      + `argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=1928 events=r cmd=${shape.sub ? 'subscribe' : 'get'} user=default `
      + 'redir=-1 resp=2 lib-name=ioredis lib-ver=5.4.1';
  });
}

/** 10 addresses, each with 30 clients made per call at user.ts:42 and its one shared client from redis.ts:3, all idle since opened. */
export function fleetWithSharedClient(): string[] {
  return Array.from({ length: 10 }, (_, i) => [
    ...clientLines(30, { name: 'orders-api@src/handlers/user.ts:42', ip: `10.0.1.${i + 1}`, ...USED_ONCE }),
    ...clientLines(1, { name: 'orders-api@src/redis.ts:3', ip: `10.0.1.${i + 1}`, ...USED_ONCE }),
  ]).flat();
}

/** The report of one sample of one node whose CLIENT LIST is `lines`. */
export function auditClientList(lines: readonly string[], policy: AuditPolicy = TEST_POLICY): AuditReport {
  const node = '10.0.0.5:6379';
  return assessAudit({
    target: 'redis://orders-cache:6379',
    samples: [[{
      node, takenAtMs: 0, infoText: `# Server\r\nredis_version:7.4.1\r\nrun_id:abc\r\nconnected_clients:${lines.length + 1}\r\nmaxclients:10000\r\n`,
      clientListText: `${lines.join('\n')}\n`, config: { timeoutSeconds: 0, maxClients: 10000, tcpKeepaliveSeconds: 300 },
      auditorAddresses: [], errors: [], cost: { commandsSent: 3, bytesRead: 100, roundTripMs: 1 },
    }]],
    failedNodes: [], previousState: null, policy, startedAtMs: 0, nowMs: 10, toolVersion: 'test',
  }).report;
}
