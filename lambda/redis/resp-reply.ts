// RESP2 replies parsed incrementally with hard limits (core/reply-limits.ts): a size is checked as soon as a
// header declares it, so an absurd array header or a bulk string larger than allowed is refused before any of
// it is read or allocated. Used by resp-connection.ts, one parser per command.
import { ProtocolError, ReplyTooLargeError } from '../core/errors.js';
import { formatBytes, type ReplyLimits } from '../core/reply-limits.js';

/** Bulk strings stay Buffers (exact byte counts, decoded once by the caller); errors nested in arrays stay values. */
export type RespReply = Buffer | string | number | null | RespReplyError | RespReply[];

/** An error reply (`-ERR ...`), first line only and cut: the server chooses its length. */
export class RespReplyError extends Error {
  override name = 'ReplyError';
}

const CR = 13;
const LF = 10;
/** Header, simple-string and error lines: no reply we read needs a longer one. */
const MAX_LINE_BYTES = 4096;
const ERROR_CHARS = 512;

interface Frame { readonly items: RespReply[]; left: number }

/** Parses one reply incrementally, chunk by chunk, enforcing `limits` as soon as a header declares a size. */
export class ReplyParser {
  private consumed = 0;
  private line: Buffer[] = [];
  private lineBytes = 0;
  /** The bulk string being read: its pieces (joined once) and the bytes still due, trailing CRLF included. */
  private bulk: { parts: Buffer[]; left: number } | null = null;
  private readonly stack: Frame[] = [];

  constructor(private readonly limits: ReplyLimits, private readonly what: string) {}

  /** Feeds one chunk: the reply once complete, with how many bytes of the chunk came after it. Throws on a limit or garbage. */
  push(chunk: Buffer): { value: RespReply; rest: number } | undefined {
    let at = 0;
    while (at < chunk.length) {
      let value: RespReply | undefined;
      let produced = false;
      if (this.bulk !== null) {
        const take = Math.min(this.bulk.left, chunk.length - at);
        this.bulk.parts.push(chunk.subarray(at, at + take));
        this.bulk.left -= take;
        at += take;
        this.count(take);
        if (this.bulk.left > 0) return undefined;
        const { parts } = this.bulk;
        this.bulk = null;
        const whole = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
        if (whole[whole.length - 2] !== CR || whole[whole.length - 1] !== LF) throw this.protocol('a bulk string not ended by CRLF');
        value = whole.subarray(0, whole.length - 2);
        produced = true;
      } else {
        if (this.lineBytes === 0 && !'+-:$*'.includes(String.fromCharCode(chunk[at] ?? 0))) {
          throw this.protocol(`unexpected type byte 0x${(chunk[at] ?? 0).toString(16).padStart(2, '0')} (not RESP: a TLS port, or not Redis?)`);
        }
        const lf = chunk.indexOf(LF, at);
        const end = lf < 0 ? chunk.length : lf + 1;
        this.line.push(chunk.subarray(at, end));
        this.lineBytes += end - at;
        this.count(end - at);
        at = end;
        if (this.lineBytes > MAX_LINE_BYTES) throw this.tooLarge(`a line longer than ${formatBytes(MAX_LINE_BYTES)}`);
        if (lf < 0) return undefined;
        const line = this.line.length === 1 ? (this.line[0] as Buffer) : Buffer.concat(this.line);
        this.line = [];
        this.lineBytes = 0;
        if (line.length < 3 || line[line.length - 2] !== CR) throw this.protocol('a line not ended by CRLF');
        ({ value, produced } = this.header(String.fromCharCode(line[0] ?? 0), line.toString('utf8', 1, line.length - 2)));
      }
      if (produced) {
        const done = this.complete(value as RespReply);
        if (done !== undefined) return { value: done, rest: chunk.length - at };
      }
    }
    return undefined;
  }

  private header(type: string, text: string): { value?: RespReply; produced: boolean } {
    switch (type) {
      case '+': return { value: text, produced: true };
      case '-': return { value: new RespReplyError(text.slice(0, ERROR_CHARS)), produced: true };
      case ':': return { value: this.integer(text), produced: true };
      case '$': {
        const length = this.integer(text);
        if (length === -1) return { value: null, produced: true };
        if (length < -1) throw this.protocol(`a bulk length of ${length}`);
        if (length > this.limits.maxBulkBytes) throw this.tooLarge(`a bulk string of ${length} bytes (limit ${formatBytes(this.limits.maxBulkBytes)})`);
        if (this.consumed + length + 2 > this.limits.maxReplyBytes) throw this.tooLarge(`more than ${formatBytes(this.limits.maxReplyBytes)}`);
        this.bulk = { parts: [], left: length + 2 };
        return { produced: false };
      }
      case '*': {
        const count = this.integer(text);
        if (count === -1) return { value: null, produced: true };
        if (count < -1) throw this.protocol(`an array length of ${count}`);
        if (count > this.limits.maxArrayElements) throw this.tooLarge(`an array of ${count} elements (limit ${this.limits.maxArrayElements})`);
        if (count === 0) return { value: [], produced: true };
        if (this.stack.length + 1 > this.limits.maxDepth) throw this.tooLarge(`arrays nested deeper than ${this.limits.maxDepth}`);
        this.stack.push({ items: [], left: count });
        return { produced: false };
      }
      default: throw this.protocol(`unexpected type byte ${JSON.stringify(type)}`);
    }
  }

  /** Places a finished value in its array; the whole reply when nothing is open any more. */
  private complete(value: RespReply): RespReply | undefined {
    let done = value;
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (top === undefined) return done;
      top.items.push(done);
      top.left -= 1;
      if (top.left > 0) return undefined;
      this.stack.pop();
      done = top.items;
    }
  }

  private integer(text: string): number {
    if (!/^-?\d+$/.test(text)) throw this.protocol(`${JSON.stringify(text.slice(0, 40))} where a number belongs`);
    // Beyond 15 digits no limit can be met, and Number() would round.
    return text.replace('-', '').length > 15 ? (text.startsWith('-') ? -Infinity : Infinity) : Number(text);
  }

  private count(bytes: number): void {
    this.consumed += bytes;
    if (this.consumed > this.limits.maxReplyBytes) throw this.tooLarge(`more than ${formatBytes(this.limits.maxReplyBytes)}`);
  }

  private tooLarge(detail: string): ReplyTooLargeError {
    return new ReplyTooLargeError(`the reply to ${this.what} is too large: ${detail}`);
  }

  private protocol(detail: string): ProtocolError {
    return new ProtocolError(`the reply to ${this.what} is not valid RESP: ${detail}`);
  }
}
