// The package's public API is what lib/index.ts names, nothing else: no helper, config loader or constant leaks
// through `export *` (issue 15). A new export must be added here on purpose.
import { describe, expect, it } from 'vitest';
import * as api from '../../lib/index.js';

describe('the public API', () => {
  it('exports the constructs by name, and only them at run time (types are erased)', () => {
    expect(Object.keys(api).sort()).toEqual([
      'AuditorDashboard', 'AuditorMonitoring', 'AuditorNotifications', 'RedisLeakAuditor', 'RedisLeakAuditorStack', 'ReportBucket', 'SandboxCache',
    ]);
    for (const value of Object.values(api)) expect(typeof value).toBe('function');
  });
});
