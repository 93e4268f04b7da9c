// Where a deployed auditor keeps its target list: an object in its own report bucket, written by the stack at
// deploy time, its version pinned in the function's environment. Lambda caps a function's whole environment at
// 4 KB, about 16 targets of ~250 bytes, while a deployment may audit 50; the object has no such limit. Pinning the
// version makes a deploy change the code, the settings and the targets together (a new version is a new
// environment, so warm instances never mix an old list with new settings), and lets a warm instance keep what it read.
// Shared by the construct (which writes it) and the handler (which reads it): one name, one place.

/** The object's key in REPORT_BUCKET (the bucket's lifecycle rules expire reports/ only, never config/). */
export const TARGET_LIST_KEY = 'config/audit-targets.json';

/** Environment variables that point the handler at the object (docs/lambda.md). */
export const TARGET_LIST_ENV = { key: 'AUDIT_TARGETS_S3_KEY', version: 'AUDIT_TARGETS_S3_VERSION' } as const;

export { MAX_TARGETS } from './core/target-rules.js';

/** The largest list the handler reads: 50 targets of at most a few KB each fit many times over. */
export const MAX_TARGET_LIST_BYTES = 1024 * 1024;
