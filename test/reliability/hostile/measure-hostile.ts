// Measures the built CLI against every hostile mode, one after the other, and writes the table as JSON:
//   npx tsx test/reliability/hostile/measure-hostile.ts --bin /tmp/rla-before/dist/bin/redis-leak-audit.js \
//     --out bench/hostile-before.json [--commit SHA] [--modes a,b]
// Each run is killed past 120 s or 1.5 GB of resident memory (and the table says so).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { auditHostile, summarise, type HostileRow } from './audit-hostile.js';
import { HOSTILE_MODES, startHostileServer, type HostileMode } from './hostile-server.js';

const { values } = parseArgs({ options: { bin: { type: 'string' }, out: { type: 'string' }, commit: { type: 'string' }, modes: { type: 'string' } } });
if (!values.bin || !values.out) throw new Error('usage: measure-hostile.ts --bin dist/bin/redis-leak-audit.js --out FILE');
const modes = (values.modes ? values.modes.split(',') : HOSTILE_MODES) as HostileMode[];

const rows: HostileRow[] = [];
for (const mode of modes) {
  const server = await startHostileServer(mode, { lifetimeSeconds: 200 });
  try {
    const audit = await auditHostile(server, { bin: values.bin, timeoutMs: 120_000, maxRssKb: 1536 * 1024 });
    const row = summarise(mode, audit, server.peakConnections());
    rows.push(row);
    process.stdout.write(`${JSON.stringify(row)}\n`);
  } finally {
    await server.stop();
  }
}
writeFileSync(values.out, `${JSON.stringify({
  what: 'node dist/bin/redis-leak-audit.js audit --url redis://127.0.0.1:PORT --json --html PAGE --command-timeout 2000 --connect-timeout 2000 (--cluster for cluster-fanout) against test/reliability/hostile/hostile_server.py --mode MODE',
  commit: values.commit ?? null,
  measuredAt: new Date().toISOString(),
  bounds: { killAfterSeconds: 120, killAboveRssMb: 1536 },
  notes: 'peakRssMb: VmHWM of the CLI process polled every 20 ms (a lower bound); escapeBytes: ESC (0x1b) or U+202E in stdout, stderr or the --html page; status/analysed/connected from the JSON report on stdout (null: no JSON report)',
  rows,
}, null, 2)}\n`);
