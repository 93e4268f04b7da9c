// Where the Lambda's source is: the TypeScript entry when the app runs from source (tsx), the compiled
// one when this library is used from dist/. esbuild bundles either.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function handlerEntry(): string {
  for (const candidate of ['../lambda/handler.ts', '../lambda/handler.js']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('redis-leak-auditor: lambda/handler.ts (or the compiled handler.js) was not found next to lib/');
}
