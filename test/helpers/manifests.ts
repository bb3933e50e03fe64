/** Small synthetic operator manifests written beside the tests (never into the shared corpus). */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface CsvSpec {
  name: string;
  version?: string;
  replaces?: string;
  skips?: string[];
  images?: string[];
  /** Images of init containers of the deployment. */
  initImages?: string[];
  /** relatedImages entries; null: an entry with a name but no image. */
  relatedImages?: (string | null)[];
  /** The olm.skipRange annotation. */
  skipRange?: string;
  /** The containerImage annotation (which opm does not record). */
  containerImage?: string;
  /** CRDs the CSV owns (spec.customresourcedefinitions.owned). */
  owned?: ApiSpec[];
  /** CRDs the CSV requires (spec.customresourcedefinitions.required). */
  required?: ApiSpec[];
  extra?: string;
  /** metadata.annotations (values written as JSON strings, which YAML reads back as they are). */
  annotations?: Record<string, string>;
  /** spec.customresourcedefinitions.owned / .required, named as the CSV names them. */
  ownedCrds?: ApiRef[];
  requiredCrds?: ApiRef[];
  /** spec.apiservicedefinitions.owned / .required. */
  ownedApiServices?: ApiRef[];
  requiredApiServices?: ApiRef[];
}

/** A CRD or API service a CSV owns or requires: `name` is `plural.group` for CRDs, the plural for API services. */
export interface ApiRef {
  name: string;
  group: string;
  version: string;
  kind: string;
}

const q = (s: string): string => JSON.stringify(s);

function apiRefLines(indent: string, refs: ApiRef[], withGroup: boolean, more: string[] = []): string[] {
  return refs.flatMap((r) => [
    `${indent}- name: ${q(r.name)}`,
    ...(withGroup ? [`${indent}  group: ${q(r.group)}`] : []),
    `${indent}  version: ${q(r.version)}`,
    `${indent}  kind: ${q(r.kind)}`,
    `${indent}  displayName: ${q(r.kind)}`,
    ...more.map((m) => `${indent}  ${m}`),
  ]);
}

/** A CRD API as a CSV names it: name is `plural.group`. */
export interface ApiSpec {
  group: string;
  plural: string;
  kind: string;
  version: string;
}

export function csvYaml(c: CsvSpec): string {
  const lines = [
    'apiVersion: operators.coreos.com/v1alpha1',
    'kind: ClusterServiceVersion',
    'metadata:',
    c.name === '' ? '  annotations: {}' : `  name: ${c.name}`,
  ];
  const annotations = {
    ...(c.skipRange === undefined ? {} : { 'olm.skipRange': c.skipRange }),
    ...(c.containerImage === undefined ? {} : { containerImage: c.containerImage }),
    ...c.annotations,
  };
  if (Object.keys(annotations).length > 0 && c.name !== '') lines.push('  annotations:', ...Object.entries(annotations).map(([k, v]) => `    ${k}: ${q(v)}`));
  lines.push('spec:', `  version: ${c.version ?? '0.0.1'}`);
  const crdRef = (a: ApiSpec): ApiRef => ({ name: `${a.plural}.${a.group}`, group: a.group, version: a.version, kind: a.kind });
  const ownedCrds = [...(c.ownedCrds ?? []), ...(c.owned ?? []).map(crdRef)];
  const requiredCrds = [...(c.requiredCrds ?? []), ...(c.required ?? []).map(crdRef)];
  if (ownedCrds.length > 0 || requiredCrds.length > 0) {
    lines.push('  customresourcedefinitions:');
    if (ownedCrds.length > 0) lines.push('    owned:', ...apiRefLines('    ', ownedCrds, false));
    if (requiredCrds.length > 0) lines.push('    required:', ...apiRefLines('    ', requiredCrds, false));
  }
  if (c.ownedApiServices || c.requiredApiServices) {
    lines.push('  apiservicedefinitions:');
    if (c.ownedApiServices) lines.push('    owned:', ...apiRefLines('    ', c.ownedApiServices, true, ['deploymentName: op', 'containerPort: 443']));
    if (c.requiredApiServices) lines.push('    required:', ...apiRefLines('    ', c.requiredApiServices, true));
  }
  if (c.replaces) lines.push(`  replaces: ${c.replaces}`);
  if (c.skips) lines.push('  skips:', ...c.skips.map((s) => `  - ${s}`));
  if (c.relatedImages) lines.push('  relatedImages:', ...c.relatedImages.map((img, i) => (img === null ? `  - name: img${i}` : `  - name: img${i}\n    image: ${img}`)));
  lines.push(
    '  install:',
    '    strategy: deployment',
    '    spec:',
    '      deployments:',
    '      - name: op',
    '        spec:',
    '          template:',
    '            spec:',
    '              containers:',
    ...(c.images ?? ['quay.io/example/op:1']).map((img) => `              - name: c\n                image: ${img}`),
  );
  if (c.initImages) lines.push('              initContainers:', ...c.initImages.map((img, i) => `              - name: init${i}\n                image: ${img}`));
  if (c.extra) lines.push(c.extra);
  return `${lines.join('\n')}\n`;
}

/** A nested package-manifest folder: root/<pkg>/<pkg>.package.yaml and one folder per CSV. */
export function writePackageManifest(
  root: string,
  pkg: string,
  channels: { name: string; currentCSV: string }[],
  csvs: CsvSpec[],
  defaultChannel?: string,
): string {
  const dir = path.join(root, pkg);
  mkdirSync(dir, { recursive: true });
  const pf = [`packageName: ${pkg}`, 'channels:', ...channels.map((c) => `- name: ${c.name}\n  currentCSV: ${c.currentCSV}`)];
  if (defaultChannel !== undefined) pf.push(`defaultChannel: ${defaultChannel}`);
  writeFileSync(path.join(dir, `${pkg}.package.yaml`), `${pf.join('\n')}\n`);
  csvs.forEach((c, i) => {
    const v = path.join(dir, `v${i}`);
    mkdirSync(v, { recursive: true });
    writeFileSync(path.join(v, `${pkg}.v${i}.clusterserviceversion.yaml`), csvYaml(c));
  });
  return dir;
}

/** A bundle folder: dir/manifests/csv.yaml and dir/metadata/annotations.yaml. */
export function writeBundle(dir: string, pkg: string, channels: string[], csv: CsvSpec, defaultChannel?: string): string {
  mkdirSync(path.join(dir, 'manifests'), { recursive: true });
  mkdirSync(path.join(dir, 'metadata'), { recursive: true });
  writeFileSync(path.join(dir, 'manifests', 'csv.yaml'), csvYaml(csv));
  const a = [
    'annotations:',
    '  operators.operatorframework.io.bundle.mediatype.v1: registry+v1',
    '  operators.operatorframework.io.bundle.manifests.v1: manifests/',
    '  operators.operatorframework.io.bundle.metadata.v1: metadata/',
    `  operators.operatorframework.io.bundle.package.v1: ${pkg}`,
    `  operators.operatorframework.io.bundle.channels.v1: ${channels.join(',')}`,
  ];
  if (defaultChannel) a.push(`  operators.operatorframework.io.bundle.channel.default.v1: ${defaultChannel}`);
  writeFileSync(path.join(dir, 'metadata', 'annotations.yaml'), `${a.join('\n')}\n`);
  return dir;
}

/** A CustomResourceDefinition (apiextensions v1) for `api`; `padding` adds that many bytes of description. */
export function crdYaml(api: ApiSpec, padding = 0): string {
  const lines = [
    'apiVersion: apiextensions.k8s.io/v1',
    'kind: CustomResourceDefinition',
    'metadata:',
    `  name: ${api.plural}.${api.group}`,
    'spec:',
    `  group: ${api.group}`,
    '  names:',
    `    kind: ${api.kind}`,
    `    listKind: ${api.kind}List`,
    `    plural: ${api.plural}`,
    `    singular: ${api.kind.toLowerCase()}`,
    '  scope: Namespaced',
    '  versions:',
    `  - name: ${api.version}`,
    '    served: true',
    '    storage: true',
    '    schema:',
    '      openAPIV3Schema:',
    '        type: object',
  ];
  if (padding > 0) lines.push(`        description: ${'x'.repeat(padding)}`);
  return `${lines.join('\n')}\n`;
}
