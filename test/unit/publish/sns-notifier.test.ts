import { PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { assessAudit } from '../../../lambda/core/audit.js';
import { defaultPolicy } from '../../../lambda/core/model.js';
import { buildNotification, type NotificationMessage } from '../../../lambda/core/notification-text.js';
import { SnsNotifier } from '../../../lambda/publish/sns-notifier.js';

const snsMock = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:redis-leak-auditor';

const chat = JSON.stringify({ version: '1.0', source: 'custom', content: { textType: 'client-markdown', title: 'Leak', description: '412 idle' } });
const message: NotificationMessage = {
  subject: '[WARNING] redis-leak-auditor: orders-cache: 1 suspected leak',
  default: '127.0.0.10 holds 412 connections, 97% idle.',
  email: 'Target orders-cache\n\n127.0.0.10 holds 412 connections, 97% idle for more than 5 minutes.',
  https: chat,
};

const notifier = () => new SnsNotifier({ sns: new SNSClient({ region: 'eu-west-1' }), topicArn: TOPIC, logger: { warn: () => {} }, retry: { sleep: async () => {} } });
const sent = () => snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);

beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

describe('SnsNotifier', () => {
  it('publishes one message per protocol with MessageStructure json', async () => {
    await notifier().publish(message);
    expect(sent()).toEqual([{
      TopicArn: TOPIC,
      Subject: message.subject,
      MessageStructure: 'json',
      Message: JSON.stringify({ default: message.default, email: message.email, https: chat }),
    }]);
  });

  it('sends a Message that parses to default, email and https strings', async () => {
    await notifier().publish(message);
    const parsed = JSON.parse(sent()[0]?.Message ?? '') as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['default', 'email', 'https']);
    expect(parsed).toEqual({ default: message.default, email: message.email, https: chat });
    expect(JSON.parse(parsed.https as string)).toMatchObject({ version: '1.0', source: 'custom', content: { textType: 'client-markdown' } });
  });

  it('publishes what the core notification text builds', async () => {
    const { report } = assessAudit({
      target: 'redis://cache.internal:6379', samples: [], failedNodes: [{ node: 'cache.internal:6379', error: 'ECONNREFUSED', refusedMaxClients: false }],
      previousState: null, policy: defaultPolicy, startedAtMs: 0, nowMs: 50, toolVersion: '0.1.0',
    });
    const built = buildNotification({
      report, targetName: 'orders-cache', reason: 'unreachable', newKeys: [],
      links: { consoleUrl: 'https://eu-west-1.console.aws.amazon.com/s3/object/b?region=eu-west-1&prefix=k', presignedUrl: null, presignedExpiresAt: null, nowMs: 50 },
    });
    await notifier().publish(built);
    expect(sent()[0]).toMatchObject({ Subject: built.subject, MessageStructure: 'json' });
  });

  it('refuses a message over 256 KB before any call', async () => {
    const huge = { ...message, email: 'x'.repeat(262_144) };
    await expect(notifier().publish(huge)).rejects.toThrow(/over the 262144-byte limit/);
    expect(snsMock.calls()).toHaveLength(0);
  });

  it('counts the limit in UTF-8 bytes, not characters', async () => {
    const multibyte = { ...message, email: '\u00e9'.repeat(70_000) }; // 140,000 bytes; twice in the JSON
    await expect(notifier().publish(multibyte)).resolves.toBeUndefined();
    await expect(notifier().publish({ ...multibyte, default: '\u00e9'.repeat(70_000) })).rejects.toThrow(/bytes, over/);
    expect(snsMock.calls()).toHaveLength(1);
  });

  it('refuses a subject SNS would refuse, before any call', async () => {
    await expect(notifier().publish({ ...message, subject: 'two\nlines' })).rejects.toThrow(/subject/);
    await expect(notifier().publish({ ...message, subject: 's'.repeat(100) })).rejects.toThrow(/subject/);
    expect(snsMock.calls()).toHaveLength(0);
  });

  it('retries a throttled publish once and succeeds', async () => {
    snsMock.on(PublishCommand)
      .rejectsOnce(new SNSServiceException({ name: 'ThrottledException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }))
      .resolves({ MessageId: 'm-2' });
    await notifier().publish(message);
    expect(sent()).toHaveLength(2);
  });

  it('does not retry an authorization failure', async () => {
    snsMock.on(PublishCommand).rejects(new SNSServiceException({ name: 'AuthorizationErrorException', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'not authorized' }));
    await expect(notifier().publish(message)).rejects.toThrow(/sns Publish .* failed after 1 attempt: AuthorizationErrorException/);
    expect(sent()).toHaveLength(1);
  });
});
