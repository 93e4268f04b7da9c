// The alert topic: KMS-encrypted, TLS only, e-mail subscriptions, and Slack through Amazon Q Developer in
// chat applications (AWS Chatbot). CloudWatch alarms publish to it too, so its key lets them.
import { RemovalPolicy } from 'aws-cdk-lib';
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
  /** @default no Slack */
  readonly slack?: SlackChannel;
  readonly removalPolicy: RemovalPolicy;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export class AuditorNotifications extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;
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
    // CloudWatch alarms publish to the encrypted topic: they need the key.
    this.key.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
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
        slackChannelConfigurationName: `redis-leak-auditor-${props.slack.channelId}`.slice(0, 128),
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
