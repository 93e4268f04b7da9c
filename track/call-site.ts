// Where a call came from, read from a V8 stack trace (`new Error().stack`): the text form, not the CallSite API,
// because the text is what `--enable-source-maps`, tsx and vitest map back to the source file and line, which is
// what an engineer looking for a leak wants to read. Pure: the stack and the companion's own directory are inputs.

export interface CallSite {
  /** As the stack gives it: an absolute path, a `file://` URL, or a Windows path (`C:\app\src\x.ts`). */
  readonly file: string;
  readonly line: number;
}

/**
 * The first frame of `stack` that is application code: not the companion itself (any file under `selfDir`), not a
 * dependency (`node_modules`), not Node's internals, not a frame without a file. An eval frame counts as the code
 * that called eval. Null when there is none.
 */
export function applicationCallSite(stack: string, selfDir: string): CallSite | null {
  for (const frame of stack.split('\n')) {
    const site = parseFrame(frame);
    if (site !== null && isApplicationFile(site.file, selfDir)) return site;
  }
  return null;
}

/** One `    at ...` line: the location it names, or null (the message line, `<anonymous>`, `native`). */
export function parseFrame(frame: string): CallSite | null {
  const text = frame.trim();
  if (!text.startsWith('at ')) return null;
  const body = text.slice(3);
  // `at fn (LOCATION)`: the location is the last balanced parenthesis, whose path may itself hold
  // parentheses (`/srv/my app (copy)/x.js`); `at LOCATION` has none around it.
  const location = body.endsWith(')') ? lastParenthesised(body) ?? body : body;
  return parseLocation(location);
}

function parseLocation(location: string): CallSite | null {
  // `eval at fn (ORIGIN), <anonymous>:1:5`: the line inside the eval'd text means nothing in a file; the
  // code that called eval does.
  if (location.startsWith('eval at ')) {
    const head = location.slice(0, location.lastIndexOf(', ') > 0 ? location.lastIndexOf(', ') : location.length);
    const inner = head.endsWith(')') ? lastParenthesised(head) : null;
    return inner === null ? null : parseLocation(inner);
  }
  const match = /^(.*?):(\d+)(?::\d+)?$/.exec(location);
  if (match === null) return null;
  const file = match[1] as string;
  if (file === '' || file === '<anonymous>' || file === 'native') return null;
  return { file, line: Number(match[2]) };
}

/** The text inside the parenthesis that closes `text`, matched by depth; null when unbalanced. */
function lastParenthesised(text: string): string | null {
  let depth = 0;
  for (let i = text.length - 1; i >= 0; i -= 1) {
    const ch = text[i];
    if (ch === ')') depth += 1;
    else if (ch === '(') {
      depth -= 1;
      if (depth === 0) return text.slice(i + 1, text.length - 1);
    }
  }
  return null;
}

function isApplicationFile(file: string, selfDir: string): boolean {
  const path = file.replace(/\\/g, '/');
  if (path.startsWith('node:') || path.startsWith('internal/')) return false;
  if (path.includes('/node_modules/')) return false;
  const self = selfDir.replace(/\\/g, '/').replace(/\/?$/, '/');
  return !(self !== '/' && (path.startsWith(self) || path.startsWith(`file://${self}`)));
}

/** The directory of a stack location (`/app/dist/track/index.js:3` -> `/app/dist/track`), for `selfDir`. */
export function directoryOf(file: string): string {
  const path = file.replace(/^file:\/\//, '');
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return cut > 0 ? path.slice(0, cut) : path;
}
