// The live section's setup (what the server looked like when it was measured) and the end-to-end audit that
// gives the cost section its duration, as tables.
import type { Table } from './bench-util.js';
import type { LiveServerResult } from './live-server.js';
import { cell } from './live-tables.js';
import { PROBER_NICENESS } from './prober-process.js';

const n = (value: number) => value.toLocaleString('en-US');

export function setupTables(result: Omit<LiveServerResult, 'tables' | 'summary'>): Table[] {
  const { sizes } = result;
  const row = (label: string, value: (s: LiveServerResult['sizes'][number]) => string | number): Array<string | number> => [label, ...sizes.map(value)];
  const setup: Table = {
    title: 'Live redis-server: setup',
    headers: ['setup', ...sizes.map((s) => `${n(s.held)} held`)],
    rows: [
      row('held connections (asked)', (s) => `${n(s.held)} (${n(s.requested)})`),
      row('connected_clients when measured', (s) => n(s.connectedClients)),
      row('total_connections_received, start / end', (s) => `${n(s.receivedAtStart)} / ${n(s.receivedAtEnd)}`),
      row('churn before measuring', (s) => `${n(s.churn.connections)} connections in ${(s.churn.durationMs / 1000).toFixed(1)} s (${s.churn.tool}, ${s.churn.slices.length} slices)`),
      row('holder processes', (s) => `${s.holders.length} x ${s.holders.map((h) => n(h.count)).join('/')}`),
      row('sources', () => `${result.sources.length} (${result.sources[0]}-${result.sources[result.sources.length - 1]})`),
      row('redis-server, maxclients, niceness', (s) => `${s.redisVersion}, ${n(s.maxclients)}, ${s.serverNiceness}`),
      row('PING prober', (s) => `3 connections, niceness ${s.proberNiceness}${s.proberNiceness === PROBER_NICENESS ? '' : ' (not root: not raised)'}`),
      row('repetitions', () => `${result.repetitions}, methods in a rotating order`),
    ],
    notes: [
      `order: ${result.order}`, `CPU: ${result.pinning}`, `redis_exporter: ${result.exporterVersion ?? 'not installed'}`,
      ...[...new Set(sizes.flatMap((s) => (s.limitedBy ? [`fewer held than asked: ${s.limitedBy}`] : [])))],
    ],
  };
  const audited = sizes.find((s) => s.audit !== undefined)?.audit;
  if (audited === undefined) return [setup];
  const methods = [...new Set(audited.runs.map((r) => r.method))].join(', ');
  const audit: Table = {
    title: `End-to-end audit (runAudit, first run, 1 sample) at ${n(audited.held)} held connections`,
    headers: ['measure', 'value'],
    rows: [
      ['wall clock around runAudit, ms (auditDurationMs)', cell(audited.wallMs)],
      ['report auditor.durationMs (connect to close, no analysis)', cell(audited.reportDurationMs)],
      ['listing', `${methods}, ${[...new Set(audited.runs.map((r) => n(r.clientListCommands)))].join('/')} command(s)`],
      ['PINGs delayed >1 ms during the audit', cell(audited.delayedOver1ms)],
      ['PING max ms during the audit', cell(audited.proberMaxMs)],
    ],
    notes: [`the cost section bills the median wall clock, ${n(Math.round(audited.wallMs.median))} ms: an audit without the AWS calls`],
  };
  return [setup, audit];
}
