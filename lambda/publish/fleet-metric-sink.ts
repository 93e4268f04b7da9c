// A MetricSink that also sends the fleet copies of a target's alarm metrics (core/fleet-metrics.ts), in the
// same PutMetricData calls as the target's own.
import { fleetCopies } from '../core/fleet-metrics.js';
import type { MetricDatum } from '../core/metrics.js';
import type { MetricSink } from './ports.js';

export function withFleetCopies(sink: MetricSink, fleet: string): MetricSink {
  return { publish: (data: readonly MetricDatum[]) => sink.publish([...data, ...fleetCopies(data, fleet)]) };
}
