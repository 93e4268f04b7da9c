// The SNS backend of Notifier: one Publish with a message per protocol (MessageStructure json):
// `default` for any other subscriber, `email` plain text, `https` the Amazon Q Developer (Chatbot)
// custom notification. Limits are checked before sending: SNS would refuse the whole message anyway,
// and a clear local error says which limit and by how much.
import { PublishCommand, type PublishCommandInput, type SNSClient } from '@aws-sdk/client-sns';
import type { NotificationMessage } from '../core/notification-text.js';
import type { Notifier } from './ports.js';
import { consoleWarnLogger, logRetries, withRetry, type RetryOptions, type WarnLogger } from './retry.js';

/** SNS's default maximum message size: 256 KiB of UTF-8. */
export const MAX_MESSAGE_BYTES = 262_144;
/** SNS subjects are under 100 characters, with no line breaks or control characters. */
const MAX_SUBJECT_CHARS = 99;

export interface SnsNotifierOptions {
  readonly sns: SNSClient;
  readonly topicArn: string;
  /** @default attempts 3, base delay 200 ms */
  readonly retry?: Omit<RetryOptions, 'onRetry'>;
  /** Retries are reported here. @default JSON lines on stderr */
  readonly logger?: WarnLogger;
}

export class SnsNotifier implements Notifier {
  private readonly retry: RetryOptions;

  constructor(private readonly options: SnsNotifierOptions) {
    if (!options.topicArn.startsWith('arn:')) throw new Error(`the SNS topic must be given as an ARN, not ${JSON.stringify(options.topicArn)}`);
    this.retry = { ...options.retry, onRetry: logRetries(options.logger ?? consoleWarnLogger) };
  }

  async publish(message: NotificationMessage): Promise<void> {
    const input = publishInput(this.options.topicArn, message);
    await withRetry(`sns Publish ${this.options.topicArn}`, () => this.options.sns.send(new PublishCommand(input)), this.retry);
  }
}

/** The exact Publish input, or an Error naming the limit the message breaks. */
export function publishInput(topicArn: string, message: NotificationMessage): PublishCommandInput {
  const body = JSON.stringify({ default: message.default, email: message.email, https: message.https });
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_MESSAGE_BYTES) {
    throw new Error(`the SNS message is ${bytes} bytes, over the ${MAX_MESSAGE_BYTES}-byte limit: shorten the notification text`);
  }
  // Counted in code points; any control character (newline included) makes SNS refuse the subject.
  // eslint-disable-next-line no-control-regex
  if ([...message.subject].length > MAX_SUBJECT_CHARS || /[\u0000-\u001f\u007f]/.test(message.subject) || message.subject.trim() === '') {
    throw new Error(`the SNS subject must be 1-${MAX_SUBJECT_CHARS} characters without line breaks or control characters: ${JSON.stringify(message.subject.slice(0, 120))}`);
  }
  return { TopicArn: topicArn, Subject: message.subject, MessageStructure: 'json', Message: body };
}
