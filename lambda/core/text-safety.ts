// Untrusted text made safe for notifications: one line, bounded, escaped for chat markdown, ASCII for
// SNS subjects. Client names, users and node errors are chosen by applications, never trusted.

const MARKDOWN_SPECIAL = /[\\`*_~[\]]/;

/** One line of untrusted text: control, format and separator characters become spaces; bounded length. */
export function plain(text: string, max: number): string {
  return truncate(text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]+/gu, ' ').replace(/\s+/g, ' ').trim(), max);
}

/**
 * Untrusted text for client-markdown: `& < >` as entities (Slack's rule, and no HTML or `<!channel>`),
 * markdown punctuation backslash-escaped. Bounded after escaping, never cutting an escape in two.
 */
export function md(text: string, max: number): string {
  let out = '';
  for (const ch of plain(text, max)) {
    const escaped = ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : MARKDOWN_SPECIAL.test(ch) ? `\\${ch}` : ch;
    if (out.length + escaped.length > max) return `${out}…`;
    out += escaped;
  }
  return out;
}

/** Whole sentences up to max characters, so that a shortened fix never ends inside a code span. */
export function sentences(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const sentence of text.split(/(?<=\.) (?=[A-Z])/)) {
    if (out.length + sentence.length + 1 > max) break;
    out = out === '' ? sentence : `${out} ${sentence}`;
  }
  return out === '' ? truncate(text, max) : out;
}

export function asciiLine(text: string, max: number): string {
  const ascii = text.replace(/[^\x20-\x7E]+/g, '').replace(/ {2,}/g, ' ').trim();
  return ascii.length <= max ? ascii : `${ascii.slice(0, max - 3).trimEnd()}...`;
}

/** At most max UTF-16 units (what JavaScript and most limits count), never splitting a character. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const ch of text) {
    if (out.length + ch.length > max - 1) break;
    out += ch;
  }
  return `${out}…`;
}

/** Only plain https URLs without characters that could close a markdown link or start a new line. */
export function safeUrl(url: string): string | null {
  return url.length <= 4096 && /^https:\/\/[^\s<>"'`|\\]+$/.test(url) ? url : null;
}

export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/**
 * JSON whose strings carry no character that a terminal or editor would act on or show reversed: C1
 * controls, DEL, format characters (U+202E and the other bidirectional overrides, zero-width ones) and
 * line/paragraph separators are written as `\uXXXX` escapes. The same data, safe to `cat` (JSON.stringify
 * escapes only U+0000-U+001F). Such characters occur only inside strings, where the escape is valid.
 */
export function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/[\u007f-\u009f\p{Cf}\u2028\u2029]/gu, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
