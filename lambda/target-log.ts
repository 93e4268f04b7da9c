// The log of one target's run: every line names the target. Structured attributes only, never a secret.
import { errorText } from './core/errors.js';

/** The few logger methods used: Powertools Logger satisfies it; structured attributes, never a secret. */
export interface LogSink {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

/** Logs one line of a target's run, with the target's name among its attributes. */
export type TargetLog = (level: keyof LogSink, message: string, attributes?: Record<string, unknown>) => void;

export function targetLog(logger: LogSink, targetName: string): TargetLog {
  return (level, message, attributes = {}) => logger[level](message, { target: targetName, ...attributes });
}

/** An error in a log line or the report: its first line, bounded. */
export const describeError = (err: unknown): string => errorText(err, { firstLine: true, maxChars: 300 });
