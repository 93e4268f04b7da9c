// `npm pack` of this repository as a consumer gets it, from a copy of the sources in `workDir`: prepack builds
// dist/ and the pre-bundled handler there, not under the feet of whatever runs this checkout's own dist/. Used by
// the consumer test (test/package/consumer.test.ts) and the bench's package section.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** What building the package needs of this checkout (tests and benches are not part of it). */
const PACKED_SOURCES = ['package.json', 'package-lock.json', 'tsconfig.json', 'README.md', 'bin', 'cli', 'docs', 'lambda', 'lib', 'scripts', 'track'];

export interface PackedPackage {
  readonly tarball: string;
  /** The tarball's size. */
  readonly bytes: number;
  readonly unpackedBytes: number;
  /** Paths inside the tarball (package/...). */
  readonly files: readonly string[];
}

export async function packPackage(workDir: string): Promise<PackedPackage> {
  const source = join(workDir, 'source');
  mkdirSync(source, { recursive: true });
  for (const entry of PACKED_SOURCES) cpSync(join(ROOT, entry), join(source, entry), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(source, 'node_modules'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', workDir], { cwd: source, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  // prepack's own output comes first; npm's JSON array is the rest.
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('[\n'))) as Array<{ filename: string; size: number; unpackedSize: number; files: Array<{ path: string }> }>;
  if (!packed) throw new Error('npm pack printed no package');
  const tarball = join(workDir, packed.filename);
  return { tarball, bytes: statSync(tarball).size, unpackedBytes: packed.unpackedSize, files: packed.files.map((f) => `package/${f.path}`) };
}
