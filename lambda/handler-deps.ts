// What the Lambda handler is built from (createHandler's overrides: tests pass doubles), in a file of its own so
// that the handler and the adapters it wires both read it without importing each other.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { CacheDiscovery } from './discovery/elasticache-discovery.js';
import type { AwsClients } from './publish/aws-clients.js';
import type { IpResolver } from './publish/ports.js';

export interface HandlerDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Without `ec2` (test doubles), source IPs are not resolved. */
  readonly clients: () => HandlerClients;
  /** The IP resolver of one invocation, when RESOLVE_SOURCE_IPS is true. @default Ec2IpResolver on clients.ec2 */
  readonly ipResolver?: (clients: HandlerClients, logger: Logger) => IpResolver | null;
  /** Finds tagged caches when DISCOVERY is set. @default ElastiCacheDiscovery on clients.elasticache */
  readonly discovery?: (clients: HandlerClients, logger: Logger) => CacheDiscovery;
  readonly getSecret: (arn: string, maxAgeSeconds: number) => Promise<string | undefined>;
  readonly awsCredentials: AwsCredentialIdentityProvider;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export type HandlerClients = Omit<AwsClients, 'ec2' | 'ecs' | 'elasticache'> & Partial<Pick<AwsClients, 'ec2' | 'ecs' | 'elasticache'>>;
