// The delivery steps of one target's run, by name. Each fails alone: it is logged (`<step> failed`, with the
// step as an attribute) and counted in the run's deliveryFailures, and the other steps still run.
import { describeError, type TargetLog } from './target-log.js';

/** Every delivery step, in the order a run takes them. */
export const DELIVERY_STEPS = ['load-state', 'save-report', 'metrics', 'notify', 'save-state'] as const;
export type DeliveryStep = (typeof DELIVERY_STEPS)[number];

/** The steps whose failing together means nothing of a run reached S3 or CloudWatch. */
export const NOTHING_DELIVERED: readonly DeliveryStep[] = ['save-report', 'metrics'];

/** Whether a run delivered nothing at all: the invocation then fails, so that its retry and alarms see it. */
export function deliveredNothing(failures: readonly DeliveryStep[]): boolean {
  return NOTHING_DELIVERED.every((step) => failures.includes(step));
}

/** Runs the delivery steps of one target's run and remembers which failed after their retries. */
export class DeliveryAttempts {
  readonly #failures: DeliveryStep[] = [];

  constructor(private readonly log: TargetLog) {}

  /** What `deliver` answered, or undefined when it threw: the failure is logged and counted, never thrown. */
  async attempt<T>(step: DeliveryStep, deliver: () => Promise<T>): Promise<T | undefined> {
    try {
      return await deliver();
    } catch (err) {
      this.#failures.push(step);
      this.log('error', `${step} failed`, { step, error: describeError(err) });
      return undefined;
    }
  }

  failed(step: DeliveryStep): boolean {
    return this.#failures.includes(step);
  }

  get failures(): readonly DeliveryStep[] {
    return [...this.#failures];
  }
}
