// The stack of the code that called track(), and the directory the companion itself runs from (its frames are
// skipped). The directory is read from the stack too, not from import.meta.url or __filename, so that the ES
// module, the CommonJS bundle and the TypeScript source (tests) all find themselves the same way.
import { directoryOf, parseFrame } from './call-site.js';

/** Enough frames to get past a factory or two and a framework's wrappers. */
const FRAMES = 40;

export function callerStack(): { readonly stack: string; readonly selfDir: string } {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = Math.max(FRAMES, Number.isFinite(limit) ? limit : 0);
  let stack: string;
  try {
    stack = new Error().stack ?? '';
  } finally {
    Error.stackTraceLimit = limit;
  }
  // Line 0 is "Error", line 1 this function: the companion's own file.
  const self = parseFrame(stack.split('\n')[1] ?? '');
  return { stack, selfDir: self === null ? '' : directoryOf(self.file) };
}
