/**
 * A deterministic synthetic catalog covering what opm stores, written by the project itself (nothing
 * outside the repository): the inputs of the opm goldens (test/golden/opm, made by `npm run goldens:opm` with real
 * opm) and of the main-suite test that builds the same packages with ferry.
 *
 * Package-manifest packages (one folder each under `manifests/`):
 * - `synth-widgets`: 3 channels (alpha, beta, stable; default beta), a replaces chain with spec.skips
 *   and olm.skipRange, relatedImages, containers + initContainers, owned CRDs given as v1 and v1beta1
 *   CRD objects, an owned API service, the olm.properties annotation.
 * - `synth-substitutes` (its own folder): a CSV with olm.substitutesFor, which opm v1.26 refuses
 *   without alpha features; the goldens record the refusal.
 * - `synth-gadgets`: one channel, no defaultChannel (implied), requires the widgets CRD and the
 *   widgets API service.
 * Bundle packages (one folder per version under `bundles/<pkg>/`):
 * - `synth-deps` (replaces style): channels stable and fast (default stable, every bundle agrees),
 *   metadata/dependencies.yaml with olm.package (version range), olm.gvk, olm.constraint and
 *   olm.label; metadata/properties.yaml; owned and required CRDs.
 * - `synth-base` (replaces style): the package synth-deps depends on; owns the CRD synth-deps requires.
 * - `synth-semver`: semver style (no replaces anywhere), one channel, default-channel annotation.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { mapPool, pushBundleImage } from './bundle-images.js';
import { writeBundle, writePackageManifest, type ApiRef, type CsvSpec } from './manifests.js';

/** Where the catalog's images are said to live (never pulled: only bundle images are). */
const IMG = 'quay.example.invalid/synthetic';

export interface SyntheticCatalog {
  root: string;
  /** The folder holding every package-manifest package (`initializer -m`, `--from-dir`). */
  manifestsDir: string;
  manifestPackages: string[];
  /** A folder holding only synth-substitutes (a CSV with olm.substitutesFor). */
  substitutesDir: string;
  /** Bundle folders with the image name (repository:tag, no host) each is pushed as. */
  bundles: Array<{ pkg: string; version: string; dir: string; image: string }>;
  /** The bundle packages loaded in replaces mode (semver-style packages cannot be). */
  replacesPackages: string[];
  /** The bundle packages loaded in semver mode (all of them). */
  semverPackages: string[];
}

type CrdVersion = 'v1' | 'v1beta1';

/** A CRD object, as apiextensions v1 or v1beta1 write it. */
function crdYaml(api: ApiRef & { plural: string; versions: string[] }, as: CrdVersion): string {
  const names = [`    kind: ${api.kind}`, `    listKind: ${api.kind}List`, `    plural: ${api.plural}`, `    singular: ${api.kind.toLowerCase()}`];
  const lines = [`apiVersion: apiextensions.k8s.io/${as}`, 'kind: CustomResourceDefinition', 'metadata:', `  name: ${api.plural}.${api.group}`, 'spec:', `  group: ${api.group}`, '  names:', ...names, '  scope: Namespaced'];
  if (as === 'v1') {
    lines.push('  versions:', ...api.versions.flatMap((v, i) => [`  - name: ${v}`, '    served: true', `    storage: ${i === 0}`, '    schema:', '      openAPIV3Schema:', '        type: object', '        x-kubernetes-preserve-unknown-fields: true']));
  } else {
    lines.push(`  version: ${api.versions[0]}`, '  versions:', ...api.versions.flatMap((v, i) => [`  - name: ${v}`, '    served: true', `    storage: ${i === 0}`]));
  }
  return `${lines.join('\n')}\n`;
}

const WIDGET = { name: 'widgets.synth.example.com', group: 'synth.example.com', version: 'v1', kind: 'Widget', plural: 'widgets', versions: ['v1', 'v1alpha1'] };
const SPROCKET = { name: 'sprockets.synth.example.com', group: 'synth.example.com', version: 'v1beta1', kind: 'Sprocket', plural: 'sprockets', versions: ['v1beta1'] };
const METRIC_API = { name: 'widgetmetrics', group: 'metrics.synth.example.com', version: 'v1', kind: 'WidgetMetric' };
const BASE_CRD = { name: 'bases.base.synth.example.com', group: 'base.synth.example.com', version: 'v1', kind: 'Base', plural: 'bases', versions: ['v1'] };
const DEPS_CRD = { name: 'links.deps.synth.example.com', group: 'deps.synth.example.com', version: 'v1', kind: 'Link', plural: 'links', versions: ['v1'] };
const SEMVER_CRD = { name: 'gauges.semver.synth.example.com', group: 'semver.synth.example.com', version: 'v1', kind: 'Gauge', plural: 'gauges', versions: ['v1'] };
const apiRef = (a: ApiRef): ApiRef => ({ name: a.name, group: a.group, version: a.version, kind: a.kind });

function writeFiles(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
}

function widgetsPackage(manifestsDir: string): void {
  const csvs: CsvSpec[] = [
    { name: 'synth-widgets.v0.1.0', version: '0.1.0', images: [`${IMG}/widgets-operator:0.1.0`], ownedCrds: [apiRef(WIDGET)] },
    {
      name: 'synth-widgets.v0.2.0', version: '0.2.0', replaces: 'synth-widgets.v0.1.0', images: [`${IMG}/widgets-operator:0.2.0`], initImages: [`${IMG}/widgets-init:0.2.0`],
      relatedImages: [`${IMG}/widgets-operand:0.2.0`, `${IMG}/widgets-operand@sha256:${'a'.repeat(64)}`], ownedCrds: [apiRef(WIDGET), apiRef(SPROCKET)],
    },
    { name: 'synth-widgets.v0.2.1', version: '0.2.1', replaces: 'synth-widgets.v0.1.0', images: [`${IMG}/widgets-operator:0.2.1`], ownedCrds: [apiRef(WIDGET), apiRef(SPROCKET)] },
    {
      name: 'synth-widgets.v0.3.0', version: '0.3.0', replaces: 'synth-widgets.v0.2.0', skips: ['synth-widgets.v0.2.1', 'synth-widgets.v0.2.9'],
      images: [`${IMG}/widgets-operator:0.3.0`, `${IMG}/widgets-sidecar:0.3.0`], initImages: [`${IMG}/widgets-init:0.3.0`], relatedImages: [`${IMG}/widgets-operand:0.3.0`],
      ownedCrds: [apiRef(WIDGET), apiRef(SPROCKET)], ownedApiServices: [METRIC_API],
      annotations: {
        'olm.skipRange': '>=0.1.0 <0.3.0',
        containerImage: `${IMG}/widgets-operator:0.3.0`,
        'olm.properties': '[{"type":"synth.example.com/tier","value":{"level":"gold"}},{"type":"olm.maxOpenShiftVersion","value":"4.99"}]',
      },
    },
  ];
  const dir = writePackageManifest(manifestsDir, 'synth-widgets', [
    { name: 'alpha', currentCSV: 'synth-widgets.v0.3.0' },
    { name: 'beta', currentCSV: 'synth-widgets.v0.2.1' },
    { name: 'stable', currentCSV: 'synth-widgets.v0.2.0' },
  ], csvs, 'beta');
  // CRD objects beside each CSV: the widgets CRD as v1, the sprockets CRD as v1beta1 (both schemas opm reads).
  csvs.forEach((c, i) => {
    const files: Record<string, string> = { 'widgets.crd.yaml': crdYaml(WIDGET, 'v1') };
    if (c.ownedCrds?.some((x) => x.kind === 'Sprocket')) files['sprockets.crd.yaml'] = crdYaml(SPROCKET, 'v1beta1');
    writeFiles(path.join(dir, `v${i}`), files);
  });
}

/** olm.substitutesFor: opm v1.26 refuses it unless alpha features are on (a folder of its own). */
function substitutesPackage(dir: string): void {
  writePackageManifest(dir, 'synth-substitutes', [{ name: 'stable', currentCSV: 'synth-substitutes.v1.0.0-1' }], [
    { name: 'synth-substitutes.v1.0.0', version: '1.0.0', images: [`${IMG}/substitutes:1.0.0`] },
    { name: 'synth-substitutes.v1.0.0-1', version: '1.0.0-1', replaces: 'synth-substitutes.v1.0.0', images: [`${IMG}/substitutes:1.0.0-1`], annotations: { 'olm.substitutesFor': 'synth-substitutes.v1.0.0' } },
  ]);
}

function gadgetsPackage(manifestsDir: string): void {
  writePackageManifest(manifestsDir, 'synth-gadgets', [{ name: 'preview', currentCSV: 'synth-gadgets.v1.0.0' }], [
    { name: 'synth-gadgets.v1.0.0', version: '1.0.0', images: [`${IMG}/gadgets:1.0.0`], requiredCrds: [apiRef(WIDGET)], requiredApiServices: [METRIC_API] },
  ]);
}

const DEPENDENCIES_YAML = `dependencies:
- type: olm.package
  value:
    packageName: synth-base
    version: ">=1.0.0 <2.0.0"
- type: olm.gvk
  value:
    group: base.synth.example.com
    kind: Base
    version: v1
- type: olm.constraint
  value:
    failureMessage: requires a Base provider at 1.x and the synthetic label
    all:
      constraints:
      - package:
          packageName: synth-base
          versionRange: ">=1.0.0"
      - gvk:
          group: base.synth.example.com
          kind: Base
          version: v1
- type: olm.label
  value:
    label: synthetic
`;

const PROPERTIES_YAML = `properties:
- type: olm.maxOpenShiftVersion
  value: "4.99"
- type: synth.example.com/flavour
  value:
    name: vanilla
    scoops: 2
- type: olm.label
  value:
    label: synthetic-bundle
`;

function bundle(root: string, pkg: string, version: string, channels: string[], csv: CsvSpec, crds: Array<typeof WIDGET>, defaultChannel: string | undefined, metadata: Record<string, string> = {}): SyntheticCatalog['bundles'][number] {
  const dir = path.join(root, 'bundles', pkg, version);
  writeBundle(dir, pkg, channels, csv, defaultChannel);
  writeFiles(path.join(dir, 'manifests'), Object.fromEntries(crds.map((c, i) => [`${c.plural}.crd.yaml`, crdYaml(c, i % 2 === 0 ? 'v1' : 'v1beta1')])));
  writeFiles(path.join(dir, 'metadata'), metadata);
  return { pkg, version, dir, image: `synthetic/${pkg}:${version}` };
}

/** Writes the synthetic catalog under ROOT (which should be empty) and describes it. */
export function writeSyntheticCatalog(root: string): SyntheticCatalog {
  const manifestsDir = path.join(root, 'manifests');
  widgetsPackage(manifestsDir);
  gadgetsPackage(manifestsDir);
  const substitutesDir = path.join(root, 'substitutes');
  substitutesPackage(substitutesDir);

  const bundles: SyntheticCatalog['bundles'] = [];
  // synth-base: 1.0.0 ← 1.1.0, one channel.
  bundles.push(bundle(root, 'synth-base', '1.0.0', ['stable'], { name: 'synth-base.v1.0.0', version: '1.0.0', images: [`${IMG}/base:1.0.0`], ownedCrds: [apiRef(BASE_CRD)] }, [BASE_CRD], 'stable'));
  bundles.push(bundle(root, 'synth-base', '1.1.0', ['stable'], { name: 'synth-base.v1.1.0', version: '1.1.0', replaces: 'synth-base.v1.0.0', images: [`${IMG}/base:1.1.0`], relatedImages: [`${IMG}/base-operand:1.1.0`], ownedCrds: [apiRef(BASE_CRD)] }, [BASE_CRD], 'stable'));
  // synth-deps: 2.0.0 ← 2.1.0 (stable, fast) ← 2.2.0 (fast only, skips 2.1.5), with dependencies and properties.
  const meta = { 'dependencies.yaml': DEPENDENCIES_YAML, 'properties.yaml': PROPERTIES_YAML };
  bundles.push(bundle(root, 'synth-deps', '2.0.0', ['stable', 'fast'], { name: 'synth-deps.v2.0.0', version: '2.0.0', images: [`${IMG}/deps:2.0.0`], ownedCrds: [apiRef(DEPS_CRD)], requiredCrds: [apiRef(BASE_CRD)] }, [DEPS_CRD], 'stable', meta));
  bundles.push(bundle(root, 'synth-deps', '2.1.0', ['stable', 'fast'], {
    name: 'synth-deps.v2.1.0', version: '2.1.0', replaces: 'synth-deps.v2.0.0', images: [`${IMG}/deps:2.1.0`], initImages: [`${IMG}/deps-init:2.1.0`],
    ownedCrds: [apiRef(DEPS_CRD)], requiredCrds: [apiRef(BASE_CRD)], annotations: { 'olm.skipRange': '>=2.0.0 <2.1.0' },
  }, [DEPS_CRD], 'stable', meta));
  bundles.push(bundle(root, 'synth-deps', '2.2.0', ['fast'], {
    name: 'synth-deps.v2.2.0', version: '2.2.0', replaces: 'synth-deps.v2.1.0', skips: ['synth-deps.v2.1.5'], images: [`${IMG}/deps:2.2.0`], relatedImages: [`${IMG}/deps-operand:2.2.0`],
    ownedCrds: [apiRef(DEPS_CRD)], requiredCrds: [apiRef(BASE_CRD)],
  }, [DEPS_CRD], 'stable', meta));
  // synth-semver: no replaces at all; head = highest version.
  for (const v of ['0.9.0', '1.0.0', '1.0.1']) {
    bundles.push(bundle(root, 'synth-semver', v, ['candidate'], { name: `synth-semver.v${v}`, version: v, images: [`${IMG}/semver:${v}`], ownedCrds: [apiRef(SEMVER_CRD)] }, [SEMVER_CRD], 'candidate'));
  }
  return {
    root,
    manifestsDir,
    manifestPackages: ['synth-gadgets', 'synth-widgets'],
    substitutesDir,
    bundles,
    replacesPackages: ['synth-base', 'synth-deps'],
    semverPackages: ['synth-base', 'synth-deps', 'synth-semver'],
  };
}

/**
 * Pushes every bundle of the catalog to the registry at HOST (plain HTTP) and resolves the
 * references per package, in the catalog's order.
 */
export async function pushSyntheticBundles(catalog: SyntheticCatalog, host: string): Promise<Map<string, string[]>> {
  const refs = await mapPool(catalog.bundles, 4, async (b) => {
    const ref = `${host}/${b.image}`;
    await pushBundleImage(b.dir, ref);
    return { pkg: b.pkg, ref };
  });
  const out = new Map<string, string[]>();
  for (const { pkg, ref } of refs) out.set(pkg, [...(out.get(pkg) ?? []), ref]);
  return out;
}

/** The references of PACKAGES, in order. */
export const refsOf = (refs: Map<string, string[]>, packages: readonly string[]): string[] => packages.flatMap((p) => refs.get(p) ?? []);
