// The package as a consumer installs it (issue 15): `npm pack` from a copy of the sources (scripts/pack.ts), its
// packed and unpacked size, and the largest parts. Skipped with --smoke (it builds the whole package).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packPackage } from '../scripts/pack.js';
import { round, type Table } from './bench-util.js';

export interface PackageResult {
  readonly packedBytes: number;
  readonly unpackedBytes: number;
  readonly files: number;
  /** Files per top directory of the package. */
  readonly filesByDirectory: Readonly<Record<string, number>>;
}

export async function runPackageBench(): Promise<PackageResult> {
  const work = mkdtempSync(join(tmpdir(), 'rla-bench-pack-'));
  try {
    const packed = await packPackage(work);
    const filesByDirectory: Record<string, number> = {};
    for (const file of packed.files) {
      const directory = file.split('/').slice(1, -1).slice(0, 2).join('/') || '(top)';
      filesByDirectory[directory] = (filesByDirectory[directory] ?? 0) + 1;
    }
    return { packedBytes: packed.bytes, unpackedBytes: packed.unpackedBytes, files: packed.files.length, filesByDirectory };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function packageTables(result: PackageResult): Table[] {
  return [{
    title: 'The npm package (npm pack)',
    headers: ['packed KiB', 'unpacked KiB', 'files'],
    rows: [[round(result.packedBytes / 1024, 0), round(result.unpackedBytes / 1024, 0), result.files]],
    notes: [`files by directory: ${Object.entries(result.filesByDirectory).map(([d, n]) => `${d} ${n}`).join(', ')}`],
  }];
}
