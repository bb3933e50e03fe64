/**
 * Synthetic bundle images for the opm-fidelity checks: real-shaped bundles (owned and required CRDs,
 * init containers, olm.skipRange, a dependencies.yaml with olm.package / olm.gvk / olm.label /
 * olm.constraint entries and a properties.yaml) made into images by umoci and pushed by skopeo to a
 * test registry, plus the database queries both the main suite (against goldens taken from opm
 * v1.26.0) and the conformance suite (against live opm) compare.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pushBundleImage } from './bundle-images.js';
import { runChecked } from './exec.js';
import { crdYaml, writeBundle } from './manifests.js';
import { tempDir } from './paths.js';

export interface BundleSpec {
  pkg: string;
  version: string;
  channels: string[];
  replaces?: string;
  defaultChannel?: string;
  /** Write metadata/dependencies.yaml and properties.yaml (default true). */
  metadata?: boolean;
}

export const csvName = (pkg: string, version: string): string => `${pkg}.v${version}`;

export const DEPENDENCIES_YAML = `dependencies:
- type: olm.package
  value:
    packageName: etcd
    version: ">=0.9.0 <1.0.0"
- type: olm.gvk
  value:
    group: etcd.database.coreos.com
    kind: EtcdCluster
    version: v1beta2
- type: olm.label
  value:
    label: feature.example.com/ha
- type: olm.constraint
  value:
    failureMessage: needs a ha etcd
    all:
      constraints:
      - package:
          packageName: etcd
          versionRange: ">=0.9.0"
`;

export const PROPERTIES_YAML = `properties:
- type: olm.label
  value:
    label: feature.example.com/ha
- type: custom.example.com/tier
  value: gold
`;

const WIDGET = { group: 'example.com', plural: 'widgets', kind: 'Widget', version: 'v1' };
const GADGET = { group: 'example.com', plural: 'gadgets', kind: 'Gadget', version: 'v1alpha1' };

/** A bundle folder (manifests/ and metadata/) for `spec`. */
export function writeBundleFolder(dir: string, spec: BundleSpec): string {
  writeBundle(
    dir,
    spec.pkg,
    spec.channels,
    {
      name: csvName(spec.pkg, spec.version),
      version: spec.version,
      ...(spec.replaces ? { replaces: csvName(spec.pkg, spec.replaces) } : {}),
      skipRange: `>=0.1.0 <${spec.version}`,
      owned: [WIDGET],
      required: [GADGET],
      images: [`quay.io/example/${spec.pkg}:${spec.version}`],
      initImages: [`quay.io/example/${spec.pkg}-init:${spec.version}`],
    },
    spec.defaultChannel,
  );
  writeFileSync(path.join(dir, 'manifests', 'crd.yaml'), crdYaml(WIDGET));
  if (spec.metadata !== false) {
    writeFileSync(path.join(dir, 'metadata', 'dependencies.yaml'), DEPENDENCIES_YAML);
    writeFileSync(path.join(dir, 'metadata', 'properties.yaml'), PROPERTIES_YAML);
  }
  return dir;
}

/** Writes each bundle and pushes it as `HOST/ferry-test/PKG-bundle:VERSION`; resolves the references in order. */
export async function pushBundleImages(host: string, specs: readonly BundleSpec[]): Promise<string[]> {
  const root = tempDir('ferry-bundle-images-');
  const refs: string[] = [];
  for (const spec of specs) {
    const ref = `${host}/ferry-test/${spec.pkg}-bundle:${spec.version}`;
    await pushBundleImage(writeBundleFolder(path.join(root, `${spec.pkg}-${spec.version}`), spec), ref);
    refs.push(ref);
  }
  return refs;
}

/** The `dep` package: 0.1.0 (stable, alpha), 0.2.0 → 0.1.0, 0.2.1 → 0.2.0, 0.3.0 → 0.2.0 (stable). */
export const DEP_BUNDLES: readonly BundleSpec[] = [
  { pkg: 'dep', version: '0.1.0', channels: ['stable', 'alpha'], defaultChannel: 'stable' },
  { pkg: 'dep', version: '0.2.0', channels: ['stable'], replaces: '0.1.0', defaultChannel: 'stable' },
  { pkg: 'dep', version: '0.2.1', channels: ['stable'], replaces: '0.2.0', defaultChannel: 'stable' },
  { pkg: 'dep', version: '0.3.0', channels: ['stable'], replaces: '0.2.0', defaultChannel: 'stable' },
];

/** The `sp` package for semver-skippatch: 0.2.0, 0.2.1, 0.2.2, 0.3.0 in one channel, no replaces. */
export const SKIPPATCH_BUNDLES: readonly BundleSpec[] = ['0.2.0', '0.2.1', '0.2.2', '0.3.0'].map((version) => ({ pkg: 'sp', version, channels: ['stable'] }));

async function sql(database: string, query: string): Promise<string[]> {
  const r = await runChecked('sqlite3', [database, query]);
  return r.stdout.split('\n').filter((l) => l !== '');
}

/** channel|bundle|depth|replaced bundle, sorted: the upgrade graph without entry ids. */
export function channelGraph(database: string): Promise<string[]> {
  return sql(
    database,
    "SELECT c.channel_name || '|' || c.operatorbundle_name || '|' || c.depth || '|' || ifnull(r.operatorbundle_name, '') FROM channel_entry c LEFT JOIN channel_entry r ON c.replaces = r.entry_id ORDER BY 1",
  );
}

/** Bundles whose csv and bundle columns are NULL (cleared), sorted. */
export function clearedBundles(database: string): Promise<string[]> {
  return sql(database, 'SELECT name FROM operatorbundle WHERE csv IS NULL AND bundle IS NULL ORDER BY name');
}

/** Rows of a bundle-keyed table as type|value|bundle (value as text), sorted and de-duplicated. */
export function typedRows(database: string, table: 'properties' | 'dependencies', bundle: string): Promise<string[]> {
  return sql(database, `SELECT DISTINCT type || '|' || CAST(value AS TEXT) FROM ${table} WHERE operatorbundle_name = '${bundle}' ORDER BY 1`);
}

export function packageRows(database: string): Promise<string[]> {
  return sql(database, "SELECT p.name || '|' || p.default_channel || '|' || c.name || '|' || c.head_operatorbundle_name FROM package p JOIN channel c ON c.package_name = p.name ORDER BY 1");
}

export type Mode = 'replaces' | 'semver' | 'semver-skippatch';

/** Builds databases the way one tool does (ferry in the main suite, real opm in the conformance suite). */
export interface CatalogBuilder {
  /** A new database at `database` from bundle images; resolves false when the tool refuses. */
  build(refs: readonly string[], mode: Mode, database: string): Promise<boolean>;
  /** Adds bundle images to the existing database; resolves false when the tool refuses. */
  add(refs: readonly string[], mode: Mode, database: string): Promise<boolean>;
}

export interface ScenarioOutcome {
  refused: boolean;
  packages?: string[];
  graph?: string[];
  cleared?: string[];
  properties?: string[];
  dependencies?: string[];
}

export const SKIPPATCH = 'semver-skippatch mode';

export interface Scenario {
  name: string;
  mode: Mode;
  bundles: readonly BundleSpec[];
  /** How many of the bundles the first build takes; the rest are added to its database afterwards. */
  firstBuild?: number;
}

const dep = (...versions: string[]): BundleSpec[] => DEP_BUNDLES.filter((b) => versions.includes(b.version));

export const SCENARIOS: readonly Scenario[] = [
  { name: 'replaces mode', mode: 'replaces', bundles: dep('0.1.0', '0.2.0', '0.3.0') },
  { name: 'replaces mode, a bundle the head does not reach (opm refuses: add prunes bundle)', mode: 'replaces', bundles: DEP_BUNDLES },
  { name: 'semver mode (non-head image bundles cleared)', mode: 'semver', bundles: DEP_BUNDLES },
  /**
   * opm handles the images of one call in random order, and in this mode the order changes the result:
   * most runs refuse ("Invalid graph"), the others give one of several graphs. The golden is the one
   * opm gives when it inserts lowest version first, which is ferry's order; the conformance suite
   * checks that opm does give it.
   */
  { name: SKIPPATCH, mode: 'semver-skippatch', bundles: SKIPPATCH_BUNDLES },
  { name: 'replaces mode, a bundle added to a package already in the database', mode: 'replaces', bundles: dep('0.1.0', '0.2.0', '0.3.0'), firstBuild: 2 },
  { name: 'semver mode, a bundle added to a package already in the database', mode: 'semver', bundles: dep('0.1.0', '0.2.0', '0.3.0'), firstBuild: 2 },
];

/** Pushes every bundle the scenarios use; resolves "pkg:version" → image reference. */
export async function pushScenarioImages(host: string): Promise<Map<string, string>> {
  const specs = [...DEP_BUNDLES, ...SKIPPATCH_BUNDLES];
  const refs = await pushBundleImages(host, specs);
  return new Map(refs.map((ref, i) => [`${specs[i]!.pkg}:${specs[i]!.version}`, ref]));
}

/** Runs one scenario with `builder`; bundle references in the outcome name the registry `REGISTRY`. */
export async function runScenario(builder: CatalogBuilder, s: Scenario, refs: ReadonlyMap<string, string>): Promise<ScenarioOutcome> {
  const database = path.join(tempDir('ferry-scenario-'), 'index.db');
  const list = s.bundles.map((b) => refs.get(`${b.pkg}:${b.version}`)!);
  const first = s.firstBuild ?? list.length;
  let ok = await builder.build(list.slice(0, first), s.mode, database);
  if (ok && first < list.length) ok = await builder.add(list.slice(first), s.mode, database);
  if (!ok) return { refused: true };
  const host = list[0]!.slice(0, list[0]!.indexOf('/'));
  const unhost = (rows: string[]): string[] => rows.map((r) => r.split(host).join('REGISTRY'));
  const probe = csvName(s.bundles[0]!.pkg, s.bundles[0]!.version);
  return {
    refused: false,
    packages: await packageRows(database),
    graph: await channelGraph(database),
    cleared: await clearedBundles(database),
    properties: unhost(await typedRows(database, 'properties', probe)),
    dependencies: unhost(await typedRows(database, 'dependencies', probe)),
  };
}

/** Where the opm results of the scenarios are kept (written by the conformance suite with FERRY_WRITE_GOLDENS=1). */
export const SCENARIO_GOLDEN = path.join('test', 'golden', 'opm-scenarios.json');
