// Markup that cannot carry an unescaped value: every piece of HTML is built with the `html` tag, which
// escapes each interpolated value unless it is already markup made by this module. Client names, users,
// libraries, node errors and messages are chosen by applications, so nothing here trusts a string.
import { truncate } from '../text-safety.js';

/** Control, bidi-override and lone-surrogate characters: never shown as they are (they can spoof text). */
const UNSAFE_CHARS = /(?![\t\n\r])[\p{Cc}\p{Cs}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/gu;

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for both text and (quoted) attribute contexts, in HTML and inline SVG alike. */
export function escapeHtml(text: string): string {
  return text.replace(UNSAFE_CHARS, '\uFFFD').replace(/[&<>"']/g, (ch) => ENTITIES[ch] ?? '');
}

/** A piece of markup made by this module (only `html` and `trustedConstant` make one; it cannot be forged). */
export interface Html {
  readonly markup: string;
}

const minted = new WeakSet<object>();

function mint(markup: string): Html {
  const made: Html = Object.freeze({ markup });
  minted.add(made);
  return made;
}

function isHtml(value: unknown): value is Html {
  return typeof value === 'object' && value !== null && minted.has(value);
}

export type Fragment = Html | string | number | null | undefined | false | readonly Fragment[];

function render(value: Fragment): string {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return (value as readonly Fragment[]).map(render).join('');
  if (isHtml(value)) return value.markup;
  return escapeHtml(String(value));
}

/** Tagged template: the literal parts are markup, every interpolated value is escaped (or is markup already). */
export function html(strings: TemplateStringsArray, ...values: readonly Fragment[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return mint(out);
}

/** A constant written in this code base (the style sheet): never a value from a report. */
export function trustedConstant(text: string): Html {
  return mint(text);
}

/** Untrusted text shortened to max characters (never splitting a character), to keep a hostile report small. */
export const clip = truncate;

/** Text with `code spans` (as the recommendations write them) shown as <code>. */
export function withCode(text: string): Html {
  return html`${text.split('`').map((part, i) => (i % 2 === 1 ? html`<code>${part}</code>` : part))}`;
}
