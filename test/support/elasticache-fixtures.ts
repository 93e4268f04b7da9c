// ElastiCache API answers shaped like the real ones (DescribeReplicationGroups, DescribeServerlessCaches,
// ListTagsForResource), trimmed to one account and region, for discovery tests.
import type { ReplicationGroup, ServerlessCache } from '@aws-sdk/client-elasticache';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

export const replicationGroupArn = (id: string) => `arn:aws:elasticache:${REGION}:${ACCOUNT}:replicationgroup:${id}`;
export const serverlessCacheArn = (name: string) => `arn:aws:elasticache:${REGION}:${ACCOUNT}:serverlesscache:${name}`;

/** A cluster-mode-disabled group: the primary endpoint of its one node group. */
export function replicationGroup(id: string, over: Partial<ReplicationGroup> & { host?: string; port?: number } = {}): ReplicationGroup {
  const { host = `master.${id}.abc123.euw1.cache.amazonaws.com`, port = 6379, ...rest } = over;
  return {
    ReplicationGroupId: id,
    Description: `${id} cache`,
    Status: 'available',
    MemberClusters: [`${id}-001`, `${id}-002`],
    NodeGroups: [{
      NodeGroupId: '0001',
      Status: 'available',
      PrimaryEndpoint: { Address: host, Port: port },
      ReaderEndpoint: { Address: `replica.${id}.abc123.euw1.cache.amazonaws.com`, Port: port },
      NodeGroupMembers: [],
    }],
    AutomaticFailover: 'enabled',
    MultiAZ: 'enabled',
    ClusterEnabled: false,
    CacheNodeType: 'cache.r7g.large',
    AuthTokenEnabled: false,
    TransitEncryptionEnabled: true,
    AtRestEncryptionEnabled: true,
    ARN: replicationGroupArn(id),
    Engine: 'valkey',
    ...rest,
  };
}

/** A cluster-mode-enabled group: reached through its configuration endpoint. */
export function clusterReplicationGroup(id: string, over: Partial<ReplicationGroup> = {}): ReplicationGroup {
  return replicationGroup(id, {
    ClusterEnabled: true,
    ClusterMode: 'enabled',
    ConfigurationEndpoint: { Address: `clustercfg.${id}.abc123.euw1.cache.amazonaws.com`, Port: 6379 },
    NodeGroups: [{ NodeGroupId: '0001', Status: 'available', Slots: '0-8191' }, { NodeGroupId: '0002', Status: 'available', Slots: '8192-16383' }],
    ...over,
  });
}

export function serverlessCache(name: string, over: Partial<ServerlessCache> = {}): ServerlessCache {
  return {
    ServerlessCacheName: name,
    Description: ' ',
    Status: 'available',
    Engine: 'valkey',
    MajorEngineVersion: '8',
    FullEngineVersion: '8.0',
    SecurityGroupIds: ['sg-099fc30041c0a1b2c'],
    Endpoint: { Address: `${name}-x1y2z3.serverless.euw1.cache.amazonaws.com`, Port: 6379 },
    ReaderEndpoint: { Address: `${name}-x1y2z3.serverless.euw1.cache.amazonaws.com`, Port: 6380 },
    ARN: serverlessCacheArn(name),
    SubnetIds: ['subnet-0a1b2c3d4e5f60718'],
    ...over,
  };
}

export const tags = (entries: Record<string, string>) => ({ TagList: Object.entries(entries).map(([Key, Value]) => ({ Key, Value })) });
