/**
 * A synthetic operator corpus, written by the tests for the main suite (which must pass on a fresh
 * clone with no shared corpus beside it): the same layout as the shared corpus (package-manifests/<pkg>/, bundles/<pkg>/<version>/)
 * and the shapes that matter in it, each in a small package made for the purpose:
 *
 * - kv: nested package manifest, three channels, a folder holding two CSVs (one in a file not named
 *   *.clusterserviceversion.yaml), replaces + skips of a CSV not in the package + olm.skipRange, CRDs
 *   per folder, digest references (the graph of opm's worked example).
 * - metrics: nested, one channel and no defaultChannel (implied), tag references, init containers,
 *   a required API.
 * - flat: every file in the package folder itself (no version folders), Docker Hub short names.
 * - pinned: tag+digest, digest-only and tag references in containers, relatedImages and initContainers.
 * - annotated: a containerImage annotation naming an image nothing else names (opm does not record it).
 * - sparse: a relatedImages entry without image (opm stores ''), a bare reference, no defaultChannel.
 * - two-release, bucket, turbo, bigcrd: App Registry material (releases, flattened blobs, CRDs over
 *   64 KiB).
 * - bundled (replaces mode), semver-bundled (semver mode): bundle folders.
 * - broken-deps: two bundles whose metadata/dependencies.yaml is malformed (line 22, column 12).
 *
 * `expected` says what each package must load as, in the shape of the shared corpus's expected.json:
 * channel heads and defaults as written (package manifests) or as chosen by hand (bundles), images per
 * source as written into the CSVs.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ExpectedCatalog, ExpectedCsv, ExpectedPackage } from './expected-catalog.js';
import { crdYaml, csvYaml, writeBundle, type ApiSpec, type CsvSpec } from './manifests.js';
import { removeOnExit } from './cleanup.js';
import { tempDir } from './paths.js';

/** A digest made from a label: stable across runs, never a real image's. */
export const fakeDigest = (label: string): string => `sha256:${createHash('sha256').update(label).digest('hex')}`;

const api = (group: string, kind: string, version: string, plural = `${kind.toLowerCase()}s`): ApiSpec => ({ group, kind, version, plural });

export interface SyntheticCsv extends CsvSpec {
  /** Folder inside the package folder ('' = the package folder itself). */
  folder: string;
  /** File name; default `<name>.clusterserviceversion.yaml`. */
  file?: string;
}

export interface SyntheticPackageManifest {
  name: string;
  channels: { name: string; currentCSV: string }[];
  defaultChannel?: string;
  /** What opm takes as default when the package names none. */
  defaultChannelImplied?: string;
  csvs: SyntheticCsv[];
  /** CRD files: folder, API and padding (bytes of description). */
  crds: { folder: string; api: ApiSpec; padding?: number }[];
}

export interface SyntheticBundle {
  folder: string;
  channels: string[];
  defaultChannel?: string;
  csv: CsvSpec;
  crds?: ApiSpec[];
  /** Text of metadata/dependencies.yaml. */
  dependencies?: string;
}

export interface SyntheticBundlePackage {
  name: string;
  bundles: SyntheticBundle[];
  /** Chosen by hand: what opm's rules make of these bundles. */
  channels: Record<string, { head: string; members: string[] }>;
  defaultChannel: string;
}

const KV = 'kv.example.com';
const kvCluster = api(KV, 'KvCluster', 'v1beta2');
const kvBackup = api(KV, 'KvBackup', 'v1beta2');
const kvRestore = api(KV, 'KvRestore', 'v1beta2');
const MON = 'metrics.example.com';
const monitor = api(MON, 'Monitor', 'v1');
const rule = api(MON, 'Rule', 'v1');
const FLAT = 'flat.example.com';
const broker = api(FLAT, 'Broker', 'v1beta1');
const topic = api(FLAT, 'Topic', 'v1beta1');

/** A chain of CSVs `<prefix>.v<version>`, each replacing the one before, one folder per version. */
function chain(prefix: string, versions: string[], spec: (v: string, i: number) => Partial<SyntheticCsv> = () => ({})): SyntheticCsv[] {
  return versions.map((v, i) => ({
    name: `${prefix}.v${v}`,
    version: v,
    folder: v,
    ...(i > 0 ? { replaces: `${prefix}.v${versions[i - 1]}` } : {}),
    images: [`quay.io/synthetic/${prefix}:v${v}`],
    ...spec(v, i),
  }));
}

export const SYNTHETIC_PACKAGE_MANIFESTS: readonly SyntheticPackageManifest[] = [
  {
    name: 'kv',
    channels: [
      { name: 'alpha', currentCSV: 'kv-operator.v0.9.2' },
      { name: 'beta', currentCSV: 'kv-operator.v0.9.0' },
      { name: 'stable', currentCSV: 'kv-operator.v0.9.2' },
    ],
    defaultChannel: 'alpha',
    csvs: [
      { name: 'kv-operator.v0.6.1', version: '0.6.1', folder: '0.6.1', file: 'kv-operator.clusterserviceversion.yaml', images: [`quay.io/synthetic/kv-operator@${fakeDigest('kv-operator 0.6.1')}`], owned: [kvCluster] },
      {
        name: 'kv-operator.v0.9.0',
        version: '0.9.0',
        folder: '0.9.2',
        file: 'kv-operator.v0.9.0.yaml',
        replaces: 'kv-operator.v0.6.1',
        images: [`quay.io/synthetic/kv-operator@${fakeDigest('kv-operator 0.9.0')}`],
        owned: [kvCluster, kvBackup, kvRestore],
      },
      {
        name: 'kv-operator.v0.9.2',
        version: '0.9.2',
        folder: '0.9.2',
        replaces: 'kv-operator.v0.9.0',
        skips: ['kv-operator.v0.9.1'],
        skipRange: '< 0.6.0',
        images: [`quay.io/synthetic/kv-operator@${fakeDigest('kv-operator 0.9.2')}`],
        relatedImages: [`quay.io/synthetic/kv@${fakeDigest('kv 3.3.10')}`, `quay.io/synthetic/kv@${fakeDigest('kv 3.3.13')}`],
        owned: [kvCluster, kvBackup, kvRestore],
      },
    ],
    crds: [
      { folder: '0.6.1', api: kvCluster },
      { folder: '0.9.2', api: kvCluster },
      { folder: '0.9.2', api: kvBackup },
      { folder: '0.9.2', api: kvRestore },
    ],
  },
  {
    name: 'metrics',
    channels: [{ name: 'preview', currentCSV: 'metrics-operator.v0.22.2' }],
    defaultChannelImplied: 'preview',
    csvs: chain('metrics-operator', ['0.14.0', '0.15.0', '0.22.2'], (v) => ({
      owned: [monitor, rule],
      ...(v === '0.22.2' ? { initImages: ['quay.io/synthetic/metrics-init:v0.22.2'], required: [kvCluster] } : {}),
    })),
    crds: ['0.14.0', '0.15.0', '0.22.2'].flatMap((folder) => [
      { folder, api: monitor },
      { folder, api: rule },
    ]),
  },
  {
    name: 'flat',
    channels: [
      { name: 'stable', currentCSV: 'flat-operator.v0.11.1' },
      { name: 'beta', currentCSV: 'flat-operator.v0.12.1' },
      { name: 'alpha', currentCSV: 'flat-operator.v0.12.2' },
    ],
    defaultChannel: 'stable',
    csvs: chain('flat-operator', ['0.11.0', '0.11.1', '0.12.1', '0.12.2'], (v) => ({
      folder: '',
      images: [v.startsWith('0.11') ? `synthetic/flat-cluster-operator:${v}` : `synthetic/flat-operator:${v}`],
      owned: [broker, topic],
    })),
    crds: [
      { folder: '', api: broker },
      { folder: '', api: topic },
    ],
  },
  {
    name: 'pinned',
    channels: [{ name: 'beta', currentCSV: 'pinned.v0.6.0' }],
    defaultChannel: 'beta',
    csvs: [
      {
        name: 'pinned.v0.6.0',
        version: '0.6.0',
        folder: '0.6.0',
        images: [`quay.io/synthetic/pinned-operator:v0.6.0@${fakeDigest('pinned-operator 0.6.0')}`],
        initImages: ['quay.io/synthetic/pinned-init:1.0'],
        relatedImages: [`quay.io/synthetic/pinned-operator:v0.6.0@${fakeDigest('pinned-operator 0.6.0')}`, `quay.io/synthetic/pinned-webhook@${fakeDigest('pinned-webhook')}`],
      },
    ],
    crds: [],
  },
  {
    name: 'annotated',
    channels: [{ name: 'alpha', currentCSV: 'annotated.v0.2.1' }],
    defaultChannel: 'alpha',
    csvs: [
      {
        name: 'annotated.v0.2.1',
        version: '0.2.1',
        folder: '0.2.1',
        containerImage: 'docker.io/synthetic/annotated-operator:0.2.0',
        images: ['docker.io/synthetic/annotated-operator:0.2.1'],
        relatedImages: ['quay.io/synthetic/annotated-worker:v3'],
      },
    ],
    crds: [],
  },
  {
    name: 'sparse',
    channels: [{ name: 'alpha', currentCSV: 'sparse.v1.0.0' }],
    defaultChannelImplied: 'alpha',
    csvs: [{ name: 'sparse.v1.0.0', version: '1.0.0', folder: '1.0.0', images: ['quay.io/synthetic/sparse-operator:1.0.0'], relatedImages: [null, 'quay.io/synthetic/sparse-db'] }],
    crds: [],
  },
  {
    name: 'two-release',
    channels: [{ name: 'alpha', currentCSV: 'two-release.v0.0.2' }],
    defaultChannel: 'alpha',
    csvs: chain('two-release', ['0.0.1', '0.0.2']),
    crds: [],
  },
  {
    name: 'bucket',
    channels: [{ name: 'alpha', currentCSV: 'bucket.v2.0.0' }],
    defaultChannel: 'alpha',
    csvs: chain('bucket', ['1.0.0', '2.0.0'], () => ({ owned: [api('bucket.example.com', 'BucketClaim', 'v1alpha1')] })),
    crds: ['1.0.0', '2.0.0'].map((folder) => ({ folder, api: api('bucket.example.com', 'BucketClaim', 'v1alpha1') })),
  },
  {
    name: 'turbo',
    channels: [
      { name: 'stable', currentCSV: 'turbo-operator.v8.1.0' },
      { name: 'alpha', currentCSV: 'turbo-operator.v8.0.0' },
    ],
    defaultChannel: 'stable',
    csvs: chain('turbo-operator', ['7.0.0', '7.1.0', '7.2.0', '7.3.0', '8.0.0', '8.1.0']),
    crds: [],
  },
  {
    name: 'bigcrd',
    channels: [{ name: 'stable', currentCSV: 'bigcrd-operator.v1.4.0' }],
    defaultChannel: 'stable',
    csvs: chain('bigcrd-operator', ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0'], () => ({ owned: ['Alpha', 'Beta', 'Gamma'].map((k) => api('big.example.com', k, 'v1')) })),
    // Three CRDs of 25 KiB each: a flattened blob's CRD list (written first) is over 64 KiB.
    crds: ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0'].flatMap((folder) => ['Alpha', 'Beta', 'Gamma'].map((k) => ({ folder, api: api('big.example.com', k, 'v1'), padding: 25 * 1024 }))),
  },
];

/** metadata/dependencies.yaml with an `olm.gvk` entry whose `value:` is indented too far (line 22, column 12). */
export const MALFORMED_DEPENDENCIES = [
  ...Array.from({ length: 13 }, (_, i) => (i === 0 ? '# Synthetic dependencies with an indentation error.' : '#')),
  '',
  'dependencies:',
  '  - type: olm.gvk',
  '    value:',
  '      group: sources.example.com',
  '      kind: Binding',
  '      version: v1',
  '  - type: olm.gvk',
  '      value:',
  '        group: events.example.com',
  '        kind: Trigger',
  '        version: v1',
  '',
].join('\n');

export const SYNTHETIC_BUNDLE_PACKAGES: readonly SyntheticBundlePackage[] = [
  {
    name: 'bundled',
    bundles: ['1.1.0', '1.6.1', '1.10.0'].map((v, i, all) => ({
      folder: v,
      channels: ['alpha', 'stable'],
      defaultChannel: 'stable',
      csv: { name: `bundled-operator.v${v}`, version: v, images: [`quay.io/synthetic/bundled-operator:v${v}`], owned: [api('bundled.example.com', 'Bundled', 'v1alpha1')], ...(i > 0 ? { replaces: `bundled-operator.v${all[i - 1]}` } : {}) },
      crds: [api('bundled.example.com', 'Bundled', 'v1alpha1')],
    })),
    channels: {
      alpha: { head: 'bundled-operator.v1.10.0', members: ['bundled-operator.v1.1.0', 'bundled-operator.v1.10.0', 'bundled-operator.v1.6.1'] },
      stable: { head: 'bundled-operator.v1.10.0', members: ['bundled-operator.v1.1.0', 'bundled-operator.v1.10.0', 'bundled-operator.v1.6.1'] },
    },
    defaultChannel: 'stable',
  },
  {
    name: 'semver-bundled',
    bundles: ['1.0.0', '1.1.0', '1.10.0'].map((v) => ({ folder: v, channels: ['stable'], defaultChannel: 'stable', csv: { name: `semver-bundled.v${v}`, version: v, images: [`quay.io/synthetic/semver-bundled:${v}`] } })),
    channels: { stable: { head: 'semver-bundled.v1.10.0', members: ['semver-bundled.v1.0.0', 'semver-bundled.v1.1.0', 'semver-bundled.v1.10.0'] } },
    defaultChannel: 'stable',
  },
  {
    name: 'broken-deps',
    bundles: ['1.1.0', '1.2.0'].map((v, i) => ({
      folder: v,
      channels: ['alpha'],
      csv: { name: `broken-deps.v${v}`, version: v, ...(i > 0 ? { replaces: 'broken-deps.v1.1.0' } : {}) },
      dependencies: MALFORMED_DEPENDENCIES,
    })),
    channels: { alpha: { head: 'broken-deps.v1.2.0', members: ['broken-deps.v1.1.0', 'broken-deps.v1.2.0'] } },
    defaultChannel: 'alpha',
  },
];

/** The package that does not load, as the load checks want it. */
export const SYNTHETIC_BROKEN = {
  key: 'bundles/broken-deps',
  files: ['bundles/broken-deps/1.1.0/metadata/dependencies.yaml', 'bundles/broken-deps/1.2.0/metadata/dependencies.yaml'],
  message: /malformed YAML at line 22, column 12/,
};

const fileOf = (c: SyntheticCsv): string => c.file ?? `${c.name}.clusterserviceversion.yaml`;

/** Writes a package-manifest folder `dir` (package file, CSVs and CRDs where the spec puts them). */
export function writeSyntheticPackageManifest(dir: string, p: SyntheticPackageManifest): string {
  mkdirSync(dir, { recursive: true });
  const pf = [`packageName: ${p.name}`, 'channels:', ...p.channels.map((c) => `- name: ${c.name}\n  currentCSV: ${c.currentCSV}`)];
  if (p.defaultChannel !== undefined) pf.push(`defaultChannel: ${p.defaultChannel}`);
  writeFileSync(path.join(dir, `${p.name}.package.yaml`), `${pf.join('\n')}\n`);
  for (const c of p.csvs) {
    mkdirSync(path.join(dir, c.folder), { recursive: true });
    writeFileSync(path.join(dir, c.folder, fileOf(c)), csvYaml(c));
  }
  for (const crd of p.crds) {
    mkdirSync(path.join(dir, crd.folder), { recursive: true });
    writeFileSync(path.join(dir, crd.folder, `${crd.api.plural}.crd.yaml`), crdYaml(crd.api, crd.padding));
  }
  return dir;
}

/** Writes bundle folders `dir/<version>/` of one package. */
export function writeSyntheticBundlePackage(dir: string, p: SyntheticBundlePackage): string {
  for (const b of p.bundles) {
    const bundle = writeBundle(path.join(dir, b.folder), p.name, b.channels, b.csv, b.defaultChannel);
    for (const crd of b.crds ?? []) writeFileSync(path.join(bundle, 'manifests', `${crd.plural}.crd.yaml`), crdYaml(crd));
    if (b.dependencies !== undefined) writeFileSync(path.join(bundle, 'metadata', 'dependencies.yaml'), b.dependencies);
  }
  return dir;
}

function expectedCsv(c: CsvSpec): ExpectedCsv {
  const bySource: Record<string, string[]> = {};
  const related = (c.relatedImages ?? []).filter((i): i is string => i !== null);
  if (related.length > 0) bySource['relatedImages'] = related;
  bySource['containers'] = c.images ?? ['quay.io/example/op:1'];
  if (c.initImages) bySource['initContainers'] = c.initImages;
  if (c.containerImage) bySource['containerImage'] = [c.containerImage];
  const out: ExpectedCsv = { images: [...new Set(Object.values(bySource).flat())].sort(), imagesBySource: bySource };
  if ((c.relatedImages ?? []).includes(null)) out.notes = ['relatedImages entry without image'];
  return out;
}

/** CSV names reachable from `head` along replaces and skips, among `csvs`. */
function members(head: string, csvs: readonly CsvSpec[]): string[] {
  const byName = new Map(csvs.map((c) => [c.name, c]));
  const seen = new Set<string>();
  const queue = [head];
  while (queue.length > 0) {
    const c = byName.get(queue.shift()!);
    if (!c || seen.has(c.name)) continue;
    seen.add(c.name);
    queue.push(...(c.replaces ? [c.replaces] : []), ...(c.skips ?? []));
  }
  return [...seen].sort();
}

export function expectedPackageManifest(p: SyntheticPackageManifest): ExpectedPackage {
  return {
    layout: 'package-manifest',
    packageName: p.name,
    defaultChannel: p.defaultChannel ?? null,
    ...(p.defaultChannelImplied === undefined ? {} : { defaultChannelImplied: p.defaultChannelImplied }),
    channels: Object.fromEntries(p.channels.map((c) => [c.name, { head: c.currentCSV, members: members(c.currentCSV, p.csvs) }])),
    csvNames: p.csvs.map((c) => c.name).sort(),
    csvs: Object.fromEntries(p.csvs.map((c) => [c.name, expectedCsv(c)])),
  };
}

function expectedBundlePackage(p: SyntheticBundlePackage): ExpectedPackage {
  return {
    layout: 'bundle',
    packageName: p.name,
    defaultChannel: p.defaultChannel,
    channels: p.channels,
    csvNames: p.bundles.map((b) => b.csv.name).sort(),
    csvs: Object.fromEntries(p.bundles.map((b) => [b.csv.name, expectedCsv(b.csv)])),
  };
}

export interface SyntheticCorpus {
  root: string;
  expected: ExpectedCatalog;
  /** package-manifests/<name> */
  packageDir(name: string): string;
  /** bundles/<name> */
  bundleDir(name: string): string;
}

/** Writes the whole synthetic corpus into a new temp folder (removed at exit). */
export function writeSyntheticCorpus(): SyntheticCorpus {
  const root = tempDir('ferry-synthetic-corpus-');
  removeOnExit(root);
  const packages: Record<string, ExpectedPackage> = {};
  for (const p of SYNTHETIC_PACKAGE_MANIFESTS) {
    writeSyntheticPackageManifest(path.join(root, 'package-manifests', p.name), p);
    packages[`package-manifests/${p.name}`] = expectedPackageManifest(p);
  }
  for (const p of SYNTHETIC_BUNDLE_PACKAGES) {
    writeSyntheticBundlePackage(path.join(root, 'bundles', p.name), p);
    packages[`bundles/${p.name}`] = expectedBundlePackage(p);
  }
  return {
    root,
    expected: { packages },
    packageDir: (name) => path.join(root, 'package-manifests', name),
    bundleDir: (name) => path.join(root, 'bundles', name),
  };
}

/** What the synthetic package-manifest folders load as, keyed `package-manifests/<name>` (without writing anything). */
export function expectedSyntheticPackageManifests(): ExpectedCatalog {
  return { packages: Object.fromEntries(SYNTHETIC_PACKAGE_MANIFESTS.map((p) => [`package-manifests/${p.name}`, expectedPackageManifest(p)])) };
}
