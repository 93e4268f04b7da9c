// What one listing command costs the audited server's main thread, as a model the batch planner can use
// before it sends anything. Measured here with a concurrent PING prober (bench/ping-prober.ts), not with
// SLOWLOG: the slow log times the command's loop only (about 0.012 µs an absent id), but argument parsing,
// the lookups and freeing the arguments all hold the thread, and only a request waiting behind them shows it.

export interface StallModel {
  /** Server time of one id argument that names no client: parse, look up, free. µs. */
  readonly perIdUs: number;
  /** Server time of one client line the command writes (formatting the client), on top of its id. µs. */
  readonly perClientUs: number;
}

/**
 * Redis 7.0.15 on this project's bench machine (2 vCPU, the server alone on one of them), with a PING prober:
 * 5,000 absent ids in one command delayed no PING more than the machine's idle noise, 9,000-10,000 did now and
 * then (about 0.1 µs an id); 1,000 live clients delayed PINGs over 1 ms every time, 500 rarely (the slow log
 * says 0.6-0.7 µs a client for the loop alone; formatting the reply and writing it add the rest). Rounded up,
 * so that the model errs towards smaller batches.
 */
export const MEASURED_STALL_MODEL: StallModel = { perIdUs: 0.1, perClientUs: 1.5 };

/** The server time, ms, of one command that looks up `ids` ids and finds `clients` of them. */
export function commandCostMs(model: StallModel, ids: number, clients: number): number {
  return (ids * model.perIdUs + clients * model.perClientUs) / 1000;
}

/** The server time, ms, of one plain CLIENT LIST of `clients` clients. */
export function plainListingCostMs(model: StallModel, clients: number): number {
  return (clients * (model.perIdUs + model.perClientUs)) / 1000;
}
