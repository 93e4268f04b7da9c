// Installing a packed tarball into a fresh app without the network: `npm ci --offline` needs a lockfile, and
// npm keeps in its cache the package tarballs `npm ci` fetched for this repository, not the registry's metadata
// that resolving version ranges would need. So the app's lockfile is cut out of this repository's: the app's
// dependencies and everything they need, at the versions this repository locked, and the tarball itself.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

type LockEntry = Record<string, unknown> & { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }> };
type Lock = { packages: Record<string, LockEntry> };

export interface AppLock {
  readonly packageJson: Record<string, unknown>;
  readonly lockfile: Record<string, unknown>;
}

/**
 * `tarball`: the packed package (copied next to the app's package.json); `alsoFromRepo`: other dependencies the app
 * declares, taken at this repository's locked versions (aws-cdk-lib, constructs).
 */
export function appLockfile(repoLockPath: string, tarball: string, pkg: { name: string; version: string; dependencies?: Record<string, string>; peerDependencies?: Record<string, string> }, alsoFromRepo: readonly string[]): AppLock {
  const repo = (JSON.parse(readFileSync(repoLockPath, 'utf8')) as Lock).packages;
  const packages: Record<string, LockEntry> = {};
  const add = (path: string) => {
    if (packages[path]) return;
    const entry = repo[path];
    if (!entry) throw new Error(`not in the repository's lockfile: ${path}`);
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...rest } = entry;
    packages[path] = rest;
    for (const nested of Object.keys(repo).filter((p) => p.startsWith(`${path}/node_modules/`) && !p.slice(path.length + 14).includes('/node_modules/'))) add(nested);
    requirements(entry).forEach(({ name, optional }) => {
      const found = resolveFrom(repo, path, name);
      if (found) add(found);
      else if (!optional) throw new Error(`${path} needs ${name}, which the repository's lockfile does not hold`);
    });
  };
  const file = `file:${basename(tarball)}`;
  const self: LockEntry = { version: pkg.version, resolved: file, integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`, ...(pkg.dependencies ? { dependencies: pkg.dependencies } : {}), ...(pkg.peerDependencies ? { peerDependencies: pkg.peerDependencies } : {}) };
  packages[`node_modules/${pkg.name}`] = self;
  requirements(self).forEach(({ name }) => add(`node_modules/${name}`));
  alsoFromRepo.forEach((name) => add(`node_modules/${name}`));
  const dependencies = { [pkg.name]: file, ...Object.fromEntries(alsoFromRepo.map((name) => [name, String(repo[`node_modules/${name}`]?.version)])) };
  const packageJson = { name: 'consumer-app', version: '1.0.0', private: true, dependencies };
  return { packageJson, lockfile: { name: 'consumer-app', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'consumer-app', version: '1.0.0', dependencies }, ...packages } } };
}

function requirements(entry: LockEntry): Array<{ name: string; optional: boolean }> {
  return [
    ...Object.keys(entry.dependencies ?? {}).map((name) => ({ name, optional: false })),
    ...Object.keys(entry.optionalDependencies ?? {}).map((name) => ({ name, optional: true })),
    ...Object.keys(entry.peerDependencies ?? {}).map((name) => ({ name, optional: entry.peerDependenciesMeta?.[name]?.optional === true })),
  ];
}

/** Node's lookup: the package's own node_modules, then each parent's, then the top. */
function resolveFrom(repo: Record<string, LockEntry>, from: string, name: string): string | null {
  let base = from;
  for (;;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (repo[candidate]) return candidate;
    if (base === '') return null;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}
