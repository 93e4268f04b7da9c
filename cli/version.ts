// The package version, read from package.json next to the sources or next to dist/.
import { readFileSync } from 'node:fs';

export function toolVersion(): string {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const parsed = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (parsed.name === 'redis-leak-auditor' && typeof parsed.version === 'string') return parsed.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}
