/**
 * The packages the test App Registry (helpers/app-registry-server.ts) serves by default: synthetic
 * package-manifest folders (helpers/synthetic-corpus.ts), written once per process. Three nested (kv,
 * metrics, flat's folder without version folders), one nested with two releases (two-release), three
 * flattened (bucket with two releases, turbo with six CSVs, bigcrd whose CRDs come to over 64 KiB).
 */
import path from 'node:path';
import type { ServedPackageSpec } from './app-registry-server.js';
import { removeOnExit } from './cleanup.js';
import { tempDir } from './paths.js';
import { SYNTHETIC_PACKAGE_MANIFESTS, writeSyntheticPackageManifest } from './synthetic-corpus.js';

let written: string | undefined;

/** The folder holding the synthetic package-manifest folders, written on first use. */
export function syntheticPackageManifests(): string {
  if (written === undefined) {
    written = tempDir('ferry-synthetic-appregistry-');
    removeOnExit(written);
    for (const p of SYNTHETIC_PACKAGE_MANIFESTS) writeSyntheticPackageManifest(path.join(written, p.name), p);
  }
  return written;
}

export function syntheticAppRegistryPackages(): ServedPackageSpec[] {
  const dir = (name: string): string => path.join(syntheticPackageManifests(), name);
  return [
    { repo: 'kv', dir: dir('kv'), layout: 'nested', releases: [{ release: '0.9.2' }] },
    { repo: 'metrics', dir: dir('metrics'), layout: 'nested', releases: [{ release: '0.22.2' }] },
    { repo: 'flat', dir: dir('flat'), layout: 'nested', releases: [{ release: '0.12.2' }] },
    {
      repo: 'two-release',
      dir: dir('two-release'),
      layout: 'nested',
      releases: [{ release: '0.0.1', channels: [{ name: 'alpha', currentCSV: 'two-release.v0.0.1' }] }, { release: '0.0.2' }],
    },
    {
      repo: 'bucket',
      dir: dir('bucket'),
      layout: 'flattened',
      releases: [{ release: '1.0.0', channels: [{ name: 'alpha', currentCSV: 'bucket.v1.0.0' }] }, { release: '2.0.0' }],
    },
    { repo: 'turbo', dir: dir('turbo'), layout: 'flattened', releases: [{ release: '8.1.0' }] },
    { repo: 'bigcrd', dir: dir('bigcrd'), layout: 'flattened', releases: [{ release: '1.4.0' }] },
  ];
}
