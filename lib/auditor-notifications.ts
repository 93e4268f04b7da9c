// The alert topic: KMS-encrypted, TLS only, e-mail subscriptions, and Slack through Amazon Q Developer in
// chat applications (AWS Chatbot). CloudWatch alarms publish to it too, so its key lets them.
import { createHash } from 'node:crypto';
import { Arn, ArnFormat, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** A Slack channel already authorised in the Amazon Q Developer (Chatbot) console. */
export interface SlackChannel {
  /** Workspace (team) id, e.g. T0123456789. */
  readonly workspaceId: string;
  /** Channel id, e.g. C0123456789. */
  readonly channelId: string;
}

export interface AuditorNotificationsProps {
  /** E-mail addresses to subscribe (each confirms by mail). */
  readonly emails: readonly string[];
  /** Slack channel for alerts through Amazon Q Developer in chat applications. @default no Slack */
  readonly slack?: SlackChannel;
  /** What happens to the topic's KMS key when the construct is removed. */
  readonly removalPolicy: RemovalPolicy;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** Chatbot configuration names: 1-128 of A-Z a-z 0-9 - _ (CreateSlackChannelConfiguration), unique in the account. */
export const SLACK_CONFIGURATION_NAME_MAX = 128;
/** Room for the region when it is known only at deploy time (the longest region code today has 14 characters). */
const REGION_ROOM = 20;

/**
 * A Chatbot configuration name unique per stack, region and construct: the stack name (cut to fit), the region,
 * and a short hash of the whole stack name and the construct's path. Configuration names are per account, so
 * the channel alone would collide between two stacks (another region, a renamed stack) on the same channel.
 */
export function slackConfigurationName(scope: Construct): string {
  const stack = Stack.of(scope);
  const hash = createHash('sha256').update(`${stack.stackName}\0${scope.node.path}`).digest('hex').slice(0, 8);
  const regionLength = Token.isUnresolved(stack.region) ? REGION_ROOM : stack.region.length;
  const stackPart = stack.stackName.replace(/[^A-Za-z0-9_-]/g, '').slice(0, SLACK_CONFIGURATION_NAME_MAX - regionLength - hash.length - 2);
  return `${stackPart}-${stack.region}-${hash}`;
}

/** The alert topic (encrypted with its own KMS key, TLS only), its e-mail subscriptions and the Slack channel configuration. */
export class AuditorNotifications extends Construct {
  /** The alert topic: leak summaries and summary alarms. */
  readonly topic: sns.Topic;
  /** The topic's own KMS key. */
  readonly key: kms.Key;
  /** The Slack channel configuration, when a channel was given. */
  readonly slackChannel?: chatbot.SlackChannelConfiguration;

  constructor(scope: Construct, id: string, props: AuditorNotificationsProps) {
    super(scope, id);
    for (const email of props.emails) {
      if (!EMAIL.test(email)) throw new Error(`notificationEmails: '${email}' is not an e-mail address`);
    }
    this.key = new kms.Key(this, 'Key', {
      enableKeyRotation: true,
      description: 'redis-leak-auditor alert topic',
      removalPolicy: props.removalPolicy,
    });
    // CloudWatch alarms publish to the encrypted topic: they need the key, but only for this account's alarms
    // in this region (the confused deputy: no other account's alarm may use it through the service).
    const stack = Stack.of(this);
    this.key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsOfThisAccountPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': Arn.format({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack) },
      },
    }));
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'redis-leak-auditor',
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of props.emails) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    if (props.slack) {
      if (!/^[A-Z0-9]{9,11}$/.test(props.slack.workspaceId)) throw new Error(`slack.workspaceId '${props.slack.workspaceId}' is not a Slack workspace id (e.g. T0123456789)`);
      if (!/^[A-Z0-9]{9,11}$/.test(props.slack.channelId)) throw new Error(`slack.channelId '${props.slack.channelId}' is not a Slack channel id (e.g. C0123456789)`);
      this.slackChannel = new chatbot.SlackChannelConfiguration(this, 'Slack', {
        slackChannelConfigurationName: slackConfigurationName(this),
        slackWorkspaceId: props.slack.workspaceId,
        slackChannelId: props.slack.channelId,
        notificationTopics: [this.topic],
        // Notifications only: the channel gets no permission to act on the account.
        guardrailPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AWSDenyAll')],
        loggingLevel: chatbot.LoggingLevel.ERROR,
      });
    }
  }
}
