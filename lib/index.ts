// The public constructs of redis-leak-auditor, for use in other CDK apps.
export * from './redis-leak-auditor.js';
export type { DiscoverySpec, DiscoveredCacheKind } from './auditor-discovery.js';
export type { FleetAlarmKind } from './discovered-fleet-alarms.js';
export * from './auditor-monitoring.js';
export * from './auditor-dashboard.js';
export * from './auditor-notifications.js';
export * from './report-bucket.js';
export * from './sandbox-cache.js';
export * from './redis-leak-auditor-stack.js';
export * from './app-config.js';
