// The thresholds a user may set on the auditor's alarms: what each means, its default and its bounds. The alarm
// catalogue (alarm-catalogue.ts) reads them; AuditorMonitoring merges and checks them once.

/** The alarm thresholds of every target, in the units of their metrics. */
export interface AlarmThresholds {
  /** Alarm when MaxClientsUtilization (percent of maxclients on the fullest node) is at or above this. */
  readonly connectionsUtilizationPercent: number;
  /** Alarm when RejectedConnections (refused since the previous audit) is above this. */
  readonly rejectedConnections: number;
  /** Alarm when NewConnectionsPerMinute is above this. */
  readonly newConnectionsPerMinute: number;
  /** Alarm when SuspectedLeaks (sources that look like a leak) is at or above this. */
  readonly suspectedLeaks: number;
}

export const DEFAULT_ALARM_THRESHOLDS: Readonly<AlarmThresholds> = {
  connectionsUtilizationPercent: 80,
  rejectedConnections: 0,
  newConnectionsPerMinute: 100,
  suspectedLeaks: 1,
};

interface ThresholdRange {
  readonly min: number;
  readonly max: number;
  /** The range in words, for the error message. */
  readonly range: string;
}

const THRESHOLD_RANGES: Readonly<Record<keyof AlarmThresholds, ThresholdRange>> = {
  connectionsUtilizationPercent: { min: 1, max: 100, range: 'from 1 to 100 (a percentage of maxclients)' },
  rejectedConnections: { min: 0, max: Infinity, range: 'of 0 or more' },
  newConnectionsPerMinute: { min: 0, max: Infinity, range: 'of 0 or more' },
  suspectedLeaks: { min: 1, max: Infinity, range: 'of 1 or more (0 would alarm on every audit)' },
};

/** The defaults with the given thresholds on top; a threshold given as undefined keeps its default. */
export function mergeThresholds(overrides: Partial<AlarmThresholds> = {}): AlarmThresholds {
  const given = Object.entries(overrides).filter(([, value]) => value !== undefined);
  return { ...DEFAULT_ALARM_THRESHOLDS, ...Object.fromEntries(given) };
}

/** What is wrong with the first threshold that is unknown or out of its range, as a sentence; undefined when none is. */
export function thresholdProblem(overrides: Partial<AlarmThresholds> = {}): string | undefined {
  for (const [key, value] of Object.entries(overrides)) {
    const rule = THRESHOLD_RANGES[key as keyof AlarmThresholds] as ThresholdRange | undefined;
    if (rule === undefined) return `thresholds.${key} is not a threshold: use one of ${Object.keys(THRESHOLD_RANGES).join(', ')}.`;
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value < rule.min || value > rule.max) return `thresholds.${key} is ${value}: set it to a number ${rule.range}.`;
  }
  return undefined;
}
