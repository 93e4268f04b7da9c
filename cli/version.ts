// The package version (kept equal to package.json by test/unit/tool-version.test.ts).
import { TOOL_VERSION } from '../lambda/tool-version.js';

export function toolVersion(): string {
  return TOOL_VERSION;
}
