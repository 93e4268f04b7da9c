// The public API of redis-leak-auditor for CDK apps (the package's one entry point): the constructs and the types
// of their props, by name. Helpers, config loaders and constants stay internal; a change to them is not a break.
export { RedisLeakAuditor } from './redis-leak-auditor.js';
export type { AuditTargetSpec, AuditThresholds, BreakGlassSpec, RedisLeakAuditorProps } from './redis-leak-auditor-props.js';
export type { OverBudget } from '../lambda/core/stall-budget.js';
export type { DiscoverySpec, DiscoveredCacheKind } from './auditor-discovery.js';
export { AuditorMonitoring } from './auditor-monitoring.js';
export type { AlarmThresholds, AuditorMonitoringProps, TargetAlarmKind } from './auditor-monitoring.js';
export type { FleetAlarmKind } from './discovered-fleet-alarms.js';
export { AuditorDashboard } from './auditor-dashboard.js';
export type { AuditorDashboardProps, AuditorMetricFactory } from './auditor-dashboard.js';
export { AuditorNotifications } from './auditor-notifications.js';
export type { AuditorNotificationsProps, SlackChannel } from './auditor-notifications.js';
export { ReportBucket } from './report-bucket.js';
export type { ReportBucketProps } from './report-bucket.js';
export { SandboxCache } from './sandbox-cache.js';
export type { SandboxAuditTarget, SandboxCacheEngine, SandboxCacheProps } from './sandbox-cache.js';
export { RedisLeakAuditorStack } from './redis-leak-auditor-stack.js';
export type { RedisLeakAuditorStackProps } from './redis-leak-auditor-stack.js';
export type { AppConfig } from './app-config.js';
