// The sandbox's cache: an ElastiCache (Valkey or Redis OSS) replication group in the VPC's private subnets,
// TLS only, AUTH token generated in Secrets Manager, reachable only from what `allowFrom` lets in.
// It is what `cdk deploy` without configuration points the auditor at, so it is deliberately left as a
// plain default cache: no idle `timeout` (the default parameter group keeps 0), so leaked connections
// stay visible instead of being reaped by the server.
import { RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { TARGET_NAME, TARGET_NAME_FORM } from '../lambda/core/target-rules.js';

/** Cache engines the sandbox can run. */
export type SandboxCacheEngine = 'valkey' | 'redis';

/** Properties of a {@link SandboxCache}. */
export interface SandboxCacheProps {
  /** VPC whose private-isolated subnets (else private subnets with egress) hold the cache nodes. */
  readonly vpc: ec2.IVpc;
  /** Cache engine. @default 'valkey' */
  readonly engine?: SandboxCacheEngine;
  /** Engine version (major.minor, as ElastiCache lists it). @default '8.0' for valkey, '7.1' for redis */
  readonly engineVersion?: string;
  /** Node type of every node. @default 'cache.t4g.micro' */
  readonly nodeType?: string;
  /** Read replicas besides the primary, 0 to 5; 1 or more turns on automatic failover and Multi-AZ. @default 0 */
  readonly replicas?: number;
  /** What happens to the cache and its secret when removed from the stack. @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/** One entry of the Lambda's AUDIT_TARGETS (docs/lambda.md). */
export interface SandboxAuditTarget {
  /** Target name: the S3 key part and the metric dimension. */
  readonly name: string;
  /** `rediss://<primary endpoint>:6379`, never with a password. */
  readonly url: string;
  /** The cache accepts TLS only. */
  readonly tls: true;
  /** ARN of the secret holding `{ "username": "default", "password": ... }`. */
  readonly authSecretArn: string;
}

/** Default engine versions, checked against ElastiCache's "Supported engines and versions" page. */
export const SANDBOX_ENGINE_VERSIONS: Readonly<Record<SandboxCacheEngine, string>> = { valkey: '8.0', redis: '7.1' };

/** The characters ElastiCache refuses in an AUTH token: every printable special except ! & # $ ^ < > - (and space). */
export const AUTH_TOKEN_EXCLUDED_CHARACTERS = `"%'()*+,./:;=?@[\\]_\`{|}~`;

const REDIS_PORT = 6379;
const MAX_REPLICAS = 5;

/**
 * An ElastiCache replication group for the sandbox, with TLS, encryption at rest and an AUTH token from
 * Secrets Manager. Let the auditor in with `allowFrom(lambda)` and configure it with `auditTarget()`.
 */
export class SandboxCache extends Construct {
  /** The replication group id (a token). */
  public readonly replicationGroupId: string;
  /** Address of the primary endpoint (a token). */
  public readonly endpointAddress: string;
  /** Port of the cache. */
  public readonly port: number = REDIS_PORT;
  /** Engine the cache runs. */
  public readonly engine: SandboxCacheEngine;
  /** Engine version the cache runs. */
  public readonly engineVersion: string;
  /** Secret holding `{ "username": "default", "password": <AUTH token> }`. */
  public readonly authSecret: secretsmanager.ISecret;
  /** The cache's security group, default port 6379; no ingress until `allowFrom`. */
  public readonly connections: ec2.Connections;
  /** The cache's security group. */
  public readonly securityGroup: ec2.ISecurityGroup;
  /** The underlying replication group (for metrics and escape hatches). */
  public readonly replicationGroup: elasticache.CfnReplicationGroup;

  constructor(scope: Construct, id: string, props: SandboxCacheProps) {
    super(scope, id);
    const engine = props.engine ?? 'valkey';
    if (engine !== 'valkey' && engine !== 'redis') {
      throw new Error(`SandboxCache: engine '${String(engine)}' is not supported; use 'valkey' or 'redis'.`);
    }
    const engineVersion = props.engineVersion ?? SANDBOX_ENGINE_VERSIONS[engine];
    validateEngineVersion(engine, engineVersion);
    const nodeType = props.nodeType ?? 'cache.t4g.micro';
    if (!Token.isUnresolved(nodeType) && !/^cache\.[a-z0-9-]+\.[a-z0-9]+$/.test(nodeType)) {
      throw new Error(`SandboxCache: nodeType '${nodeType}' is not an ElastiCache node type; use one such as 'cache.t4g.micro'.`);
    }
    const replicas = props.replicas ?? 0;
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > MAX_REPLICAS) {
      throw new Error(`SandboxCache: replicas is ${replicas}; set a whole number from 0 to ${MAX_REPLICAS} (a replication group holds at most 6 nodes).`);
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    const highlyAvailable = replicas > 0;
    const subnetIds = privateSubnetIds(props.vpc);
    if (highlyAvailable && subnetIds.length < 2) {
      throw new Error('SandboxCache: replicas >= 1 turns on Multi-AZ, which needs private subnets in at least two availability zones; give the VPC a second AZ or set replicas to 0.');
    }

    // Encrypted with the account's default key (aws/secretsmanager), not a key of its own: a sandbox gains
    // nothing from a customer managed key, which costs a monthly fee, needs a key policy and, on DESTROY,
    // lingers for a 7-30 day deletion window; `grantRead` covers the default key for the auditor.
    const secret = new secretsmanager.Secret(this, 'AuthSecret', {
      description: 'AUTH token of the redis-leak-auditor sandbox cache',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: 'default' }),
        generateStringKey: 'password',
        // ElastiCache AUTH token: 16-128 printable ASCII characters; no space, and the only specials
        // allowed are ! & # $ ^ < > - (so @, " and / in particular are excluded).
        passwordLength: 32,
        excludeCharacters: AUTH_TOKEN_EXCLUDED_CHARACTERS,
        includeSpace: false,
        requireEachIncludedType: true,
      },
      removalPolicy: removalPolicy === RemovalPolicy.SNAPSHOT ? RemovalPolicy.RETAIN : removalPolicy,
    });
    // No rotation: ElastiCache has no hosted rotation function for AUTH tokens (it would need a
    // ModifyReplicationGroup ROTATE/SET Lambda); the sandbox is short-lived and reachable only from the VPC.
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'ElastiCache AUTH tokens have no hosted rotation; the sandbox cache is disposable and reachable only through its security group.',
    });

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'redis-leak-auditor sandbox cache: ingress only from allowFrom() peers on 6379',
      allowAllOutbound: false,
    });
    securityGroup.applyRemovalPolicy(supportingPolicy(removalPolicy));

    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'SubnetGroup', {
      description: 'Private subnets of the redis-leak-auditor sandbox cache',
      subnetIds,
    });
    subnetGroup.applyRemovalPolicy(supportingPolicy(removalPolicy));

    const group = new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupDescription: 'redis-leak-auditor sandbox: the cache the auditor watches',
      engine,
      engineVersion,
      cacheNodeType: nodeType,
      port: REDIS_PORT,
      numCacheClusters: 1 + replicas,
      automaticFailoverEnabled: highlyAvailable,
      multiAzEnabled: highlyAvailable,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [securityGroup.securityGroupId],
      transitEncryptionEnabled: true,
      // 'required' (TLS only) is valid at creation for Valkey and Redis OSS 7+; 'preferred' would even be
      // refused together with an AUTH token. Older Redis versions have no mode and are TLS-only anyway.
      ...(transitEncryptionModeSupported(engine, engineVersion) ? { transitEncryptionMode: 'required' } : {}),
      // At rest with the AWS owned key: a customer managed key would add cost and a key policy for no
      // benefit in a sandbox that holds no data worth protecting beyond the default.
      atRestEncryptionEnabled: true,
      // A dynamic reference ({{resolve:secretsmanager:...}}): CloudFormation resolves it at deploy time,
      // so the token never lands in the template, the cloud assembly or the stack's parameters.
      authToken: secret.secretValueFromJson('password').unsafeUnwrap(),
      // No automatic backups: the sandbox holds throwaway data, and snapshots would outlive `cdk destroy`.
      snapshotRetentionLimit: 0,
      autoMinorVersionUpgrade: true,
      // No CacheParameterGroupName: the engine's default group keeps `timeout 0`, so idle leaked
      // connections are never reaped and the auditor has something to find.
    });
    group.applyRemovalPolicy(removalPolicy);
    if (!highlyAvailable) {
      Validations.of(group).acknowledge({
        id: 'AwsSolutions-AEC4',
        reason: 'Sandbox default of one node; set replicas >= 1 for Multi-AZ with automatic failover.',
      });
    }
    Validations.of(group).acknowledge({
      id: 'AwsSolutions-AEC5',
      reason: 'Port 6379 is kept so the sandbox looks like a real target; access is limited by the security group, TLS and AUTH.',
    });

    this.replicationGroup = group;
    this.replicationGroupId = group.ref;
    this.endpointAddress = group.attrPrimaryEndPointAddress;
    this.engine = engine;
    this.engineVersion = engineVersion;
    this.authSecret = secret;
    this.securityGroup = securityGroup;
    this.connections = new ec2.Connections({ securityGroups: [securityGroup], defaultPort: ec2.Port.tcp(REDIS_PORT) });
  }

  /** Lets `peer` (the auditor Lambda, a bastion) reach the cache on port 6379, and nothing else. */
  public allowFrom(peer: ec2.IConnectable, description = 'Redis/Valkey clients of the sandbox cache'): void {
    this.connections.allowDefaultPortFrom(peer, description);
  }

  /** The AUDIT_TARGETS entry for this cache: `{ name, url: 'rediss://<address>:6379', tls: true, authSecretArn }`. */
  public auditTarget(name = 'sandbox'): SandboxAuditTarget {
    if (!TARGET_NAME.test(name)) {
      throw new Error(`SandboxCache.auditTarget: name '${name}' must be ${TARGET_NAME_FORM}; choose another name.`);
    }
    return {
      name,
      url: `rediss://${this.endpointAddress}:${this.port}`,
      tls: true,
      authSecretArn: this.authSecret.secretArn,
    };
  }
}

function privateSubnetIds(vpc: ec2.IVpc): string[] {
  const subnetType = vpc.isolatedSubnets.length > 0 ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS;
  if (vpc.isolatedSubnets.length === 0 && vpc.privateSubnets.length === 0) {
    throw new Error('SandboxCache: the VPC has no private subnets; give it PRIVATE_ISOLATED (or PRIVATE_WITH_EGRESS) subnets, the cache never goes in public ones.');
  }
  return vpc.selectSubnets({ subnetType }).subnetIds;
}

function validateEngineVersion(engine: SandboxCacheEngine, version: string): void {
  if (Token.isUnresolved(version)) return;
  const match = /^(\d+)\.(\d+)(\.\d+)?$/.exec(version);
  if (match === null) {
    throw new Error(`SandboxCache: engineVersion '${version}' is not a version ElastiCache accepts; use major.minor such as '${SANDBOX_ENGINE_VERSIONS[engine]}'.`);
  }
  const major = Number(match[1]);
  const minor = Number(match[2]);
  if (engine === 'valkey' && (major < 7 || (major === 7 && minor < 2))) {
    throw new Error(`SandboxCache: Valkey on ElastiCache starts at 7.2, not '${version}'; use '7.2' or later such as '${SANDBOX_ENGINE_VERSIONS.valkey}'.`);
  }
  if (engine === 'redis' && major < 6) {
    throw new Error(`SandboxCache: Redis OSS '${version}' is past standard support; use '6.2' or later such as '${SANDBOX_ENGINE_VERSIONS.redis}'.`);
  }
}

function transitEncryptionModeSupported(engine: SandboxCacheEngine, version: string): boolean {
  if (engine === 'valkey' || Token.isUnresolved(version)) return true;
  return Number(version.split('.')[0]) >= 7;
}

/** Subnet group and security group follow the cache; SNAPSHOT applies to the cache alone. */
function supportingPolicy(policy: RemovalPolicy): RemovalPolicy {
  return policy === RemovalPolicy.SNAPSHOT ? RemovalPolicy.DESTROY : policy;
}
