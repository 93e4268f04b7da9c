// The bounds of discovery by tag, in one place for the Lambda's DISCOVERY variable (lambda/config.ts), its
// events (lambda/invocation.ts), the CDK config file (lib/app-config.ts) and the construct's props.
import { z } from 'zod';

/** An ElastiCache tag key: 1-128 Unicode letters, digits, spaces and _ . : / = + - @. */
export const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
export const TAG_KEY_FORM = '1-128 letters, digits, spaces and _ . : / = + - @';
/** Scheduled invocations a discovered fleet can be split over. */
export const MAX_SHARDS = 100;
/** Discovered caches one invocation audits at most, and by default. */
export const MAX_DISCOVERED_TARGETS = 100;
export const DEFAULT_DISCOVERED_TARGETS = 20;

/** The tags a cache must carry, all of them (1 to 10); the value `*` accepts any value. */
export const discoveryTagsSchema = z.record(
  z.string().regex(TAG_KEY, `expected tag keys of ${TAG_KEY_FORM}`),
  z.string().max(256, 'expected tag values of at most 256 characters, or * for any value'),
).refine((tags) => Object.keys(tags).length >= 1 && Object.keys(tags).length <= 10, 'expected 1 to 10 tags, all of which a cache must carry, e.g. { "leak-audit": "on" }');
