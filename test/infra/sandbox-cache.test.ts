import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { AUTH_TOKEN_EXCLUDED_CHARACTERS, SandboxCache, type SandboxCacheProps } from '../../lib/sandbox-cache.js';

const RG = 'AWS::ElastiCache::ReplicationGroup';

function sandbox(props: Omit<SandboxCacheProps, 'vpc'> = {}, vpcProps: ec2.VpcProps = isolatedVpc) {
  const stack = new Stack(new App(), 'Test');
  const vpc = new ec2.Vpc(stack, 'Vpc', vpcProps);
  const cache = new SandboxCache(stack, 'Cache', { vpc, ...props });
  return { stack, vpc, cache };
}

const isolatedVpc: ec2.VpcProps = {
  maxAzs: 2,
  natGateways: 0,
  subnetConfiguration: [
    { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
    { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
  ],
};

describe('SandboxCache replication group', () => {
  it('encrypts in transit (TLS only) and at rest', () => {
    const { stack } = sandbox();

    Template.fromStack(stack).hasResourceProperties(RG, {
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: 'required',
      AtRestEncryptionEnabled: true,
    });
  });

  it('takes its AUTH token from the generated secret through a dynamic reference', () => {
    const { stack, cache } = sandbox();

    const group = Template.fromStack(stack).findResources(RG);
    const authToken = Object.values(group)[0]?.Properties.AuthToken;
    const secretRef = stack.resolve(cache.authSecret.secretArn);
    expect(authToken).toEqual({
      'Fn::Join': ['', ['{{resolve:secretsmanager:', secretRef, ':SecretString:password::}}']],
    });
  });

  it('runs Valkey 8.0 on one cache.t4g.micro node without failover by default', () => {
    const { stack, cache } = sandbox();

    Template.fromStack(stack).hasResourceProperties(RG, {
      Engine: 'valkey',
      EngineVersion: '8.0',
      CacheNodeType: 'cache.t4g.micro',
      Port: 6379,
      NumCacheClusters: 1,
      AutomaticFailoverEnabled: false,
      MultiAZEnabled: false,
      SnapshotRetentionLimit: 0,
      CacheParameterGroupName: Match.absent(),
    });
    expect(cache.engine).toBe('valkey');
    expect(cache.port).toBe(6379);
  });

  it('runs Redis OSS 7.1 when asked for redis', () => {
    const { stack } = sandbox({ engine: 'redis' });

    Template.fromStack(stack).hasResourceProperties(RG, { Engine: 'redis', EngineVersion: '7.1' });
  });

  it('passes the chosen version and node type through', () => {
    const { stack } = sandbox({ engineVersion: '7.2', nodeType: 'cache.m7g.large' });

    Template.fromStack(stack).hasResourceProperties(RG, { EngineVersion: '7.2', CacheNodeType: 'cache.m7g.large' });
  });

  it('enables automatic failover and Multi-AZ only with replicas', () => {
    const { stack } = sandbox({ replicas: 2 });

    Template.fromStack(stack).hasResourceProperties(RG, {
      NumCacheClusters: 3,
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
    });
  });

  it('is deleted with the stack by default, and kept when asked', () => {
    const destroyed = Template.fromStack(sandbox().stack);
    const retained = Template.fromStack(sandbox({ removalPolicy: RemovalPolicy.RETAIN }).stack);

    destroyed.hasResource(RG, { DeletionPolicy: 'Delete' });
    destroyed.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
    retained.hasResource(RG, { DeletionPolicy: 'Retain' });
    retained.hasResource('AWS::ElastiCache::SubnetGroup', { DeletionPolicy: 'Retain' });
    retained.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
  });
});

describe('SandboxCache placement', () => {
  it('puts the subnet group in the VPC isolated subnets', () => {
    const { stack, vpc } = sandbox();

    Template.fromStack(stack).hasResourceProperties('AWS::ElastiCache::SubnetGroup', {
      SubnetIds: vpc.isolatedSubnets.map((s) => stack.resolve(s.subnetId)),
    });
    Template.fromStack(stack).hasResourceProperties(RG, {
      CacheSubnetGroupName: { Ref: Match.stringLikeRegexp('CacheSubnetGroup') },
    });
  });

  it('falls back to the private subnets with egress when the VPC has no isolated ones', () => {
    const { stack, vpc } = sandbox({}, { maxAzs: 2, natGateways: 1 });

    Template.fromStack(stack).hasResourceProperties('AWS::ElastiCache::SubnetGroup', {
      SubnetIds: vpc.privateSubnets.map((s) => stack.resolve(s.subnetId)),
    });
  });
});

describe('SandboxCache AUTH secret', () => {
  it('generates a 32-character password without the characters ElastiCache refuses', () => {
    const { stack } = sandbox();

    Template.fromStack(stack).hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: '{"username":"default"}',
        GenerateStringKey: 'password',
        PasswordLength: 32,
        ExcludeCharacters: AUTH_TOKEN_EXCLUDED_CHARACTERS,
        IncludeSpace: false,
      },
      KmsKeyId: Match.absent(),
    });
    for (const refused of '@"/') expect(AUTH_TOKEN_EXCLUDED_CHARACTERS).toContain(refused);
    for (const allowed of '!&#$^<>-') expect(AUTH_TOKEN_EXCLUDED_CHARACTERS).not.toContain(allowed);
  });

  it('puts no plaintext password in the template, only the generated key names', () => {
    const { stack } = sandbox();

    const json = JSON.stringify(Template.fromStack(stack).toJSON());
    const passwords = [...json.matchAll(/"?password"?\s*[:=]\s*"([^"]*)"/gi)].map((m) => m[1]);
    expect(passwords).toEqual([]);
    expect(json).toContain('"GenerateStringKey":"password"');
    expect(json).not.toMatch(/"AuthToken":"[^{]/);
  });
});

describe('SandboxCache network access', () => {
  it('has no ingress until allowFrom is called', () => {
    const { stack } = sandbox();

    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('sandbox cache'),
      SecurityGroupIngress: Match.absent(),
    });
  });

  it('opens exactly the Redis port to the peer given to allowFrom', () => {
    const { stack, vpc, cache } = sandbox();
    const auditor = new ec2.SecurityGroup(stack, 'Auditor', { vpc, allowAllOutbound: false });

    cache.allowFrom(auditor);

    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 6379,
      ToPort: 6379,
      GroupId: stack.resolve(cache.securityGroup.securityGroupId),
      SourceSecurityGroupId: stack.resolve(auditor.securityGroupId),
    });
  });
});

describe('SandboxCache audit target', () => {
  it('describes the cache as an AUDIT_TARGETS entry over TLS with the secret', () => {
    const { stack, cache } = sandbox();

    const target = cache.auditTarget();

    expect(target.name).toBe('sandbox');
    expect(target.tls).toBe(true);
    expect(stack.resolve(target.authSecretArn)).toEqual(stack.resolve(cache.authSecret.secretArn));
    expect(stack.resolve(target.url)).toEqual({
      'Fn::Join': ['', ['rediss://', { 'Fn::GetAtt': [expect.stringMatching(/^CacheReplicationGroup/), 'PrimaryEndPoint.Address'] }, ':6379']],
    });
  });

  it('refuses a target name the Lambda would refuse', () => {
    const { cache } = sandbox();

    expect(() => cache.auditTarget('my sandbox')).toThrow(/1-64 characters from A-Z a-z 0-9 \. _ -/);
  });
});

describe('SandboxCache validation', () => {
  it.each([-1, 6, 1.5])('refuses %s replicas and says the allowed range', (replicas) => {
    expect(() => sandbox({ replicas })).toThrow(/set a whole number from 0 to 5/);
  });

  it('refuses an unknown engine and names the supported ones', () => {
    expect(() => sandbox({ engine: 'memcached' as never })).toThrow(/use 'valkey' or 'redis'/);
  });

  it('refuses a Valkey version ElastiCache does not offer', () => {
    expect(() => sandbox({ engineVersion: '7.0' })).toThrow(/Valkey on ElastiCache starts at 7\.2/);
  });

  it('refuses replicas in a single-AZ VPC, since Multi-AZ needs two', () => {
    expect(() => sandbox({ replicas: 1 }, { ...isolatedVpc, maxAzs: 1 })).toThrow(/at least two availability zones/);
  });
});

describe('SandboxCache under cdk-nag', () => {
  it.each([0, 1])('leaves no unacknowledged AwsSolutions finding on its resources with %s replicas', (replicas) => {
    const { stack } = sandbox({ replicas });

    const report = new AwsSolutionsChecks().validateScope(stack);

    const ours = report.violations.flatMap((v) =>
      v.violatingResources
        .filter((r) => r.constructPath?.startsWith('Test/Cache/') === true)
        .map((r) => `${v.ruleName} ${r.constructPath ?? ''}`),
    );
    expect(ours).toEqual([]);
  });
});
