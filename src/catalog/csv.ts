/**
 * Reading the fields of a ClusterServiceVersion (and the CRDs beside it) that the catalog database is
 * built from, with operator-registry's rules. The CSV is checked against
 * schemas/cluster-service-version.schema.json before these run, so types are as the schema says.
 */
import type { GroupVersionKind, KubeObject, TypedValue } from './model.js';

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function kindOf(o: Obj): string {
  return str(o['kind']);
}

export function nameOf(o: Obj): string {
  return str(obj(o['metadata'])?.['name']);
}

export function annotationsOf(o: Obj): Obj {
  return obj(obj(o['metadata'])?.['annotations']) ?? {};
}

export function isCsv(o: Obj): boolean {
  return kindOf(o) === 'ClusterServiceVersion';
}

function specOf(csv: Obj): Obj {
  return obj(csv['spec']) ?? {};
}

export function csvVersion(csv: Obj): string {
  return str(specOf(csv)['version']);
}
export function csvReplaces(csv: Obj): string {
  return str(specOf(csv)['replaces']);
}
export function csvSkips(csv: Obj): string[] {
  return arr(specOf(csv)['skips']).map(str);
}
export function csvSkipRange(csv: Obj): string {
  return str(annotationsOf(csv)['olm.skipRange']);
}
export function csvSubstitutesFor(csv: Obj): string {
  return str(annotationsOf(csv)['olm.substitutesFor']);
}

/**
 * The images operator-registry records for a CSV, in first-seen order, de-duplicated:
 * `spec.relatedImages[].image`, then the images of every container and initContainer of the install
 * strategy's deployments, but only when `spec.install.strategy` is exactly `deployment`. Strings are kept
 * as written; an entry without an image contributes '' exactly as opm stores it.
 */
export function csvImages(csv: Obj): string[] {
  const images = new Set<string>();
  for (const related of arr(specOf(csv)['relatedImages'])) images.add(str(obj(related)?.['image']));
  const install = obj(specOf(csv)['install']);
  if (install?.['strategy'] === 'deployment') {
    for (const deployment of arr(obj(install['spec'])?.['deployments'])) {
      const podSpec = obj(obj(obj(obj(deployment)?.['spec'])?.['template'])?.['spec']);
      for (const c of [...arr(podSpec?.['containers']), ...arr(podSpec?.['initContainers'])]) images.add(str(obj(c)?.['image']));
    }
  }
  return [...images];
}

/**
 * `olm.properties` annotation entries. Returns an error message when the annotation is not a JSON array
 * of `{type, value}` (opm refuses such a bundle).
 */
export function csvOlmProperties(csv: Obj): TypedValue[] | string {
  const raw = annotationsOf(csv)['olm.properties'];
  if (raw === undefined || raw === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(raw));
  } catch (err) {
    return `olm.properties is not valid JSON: ${(err as Error).message}`;
  }
  if (!Array.isArray(parsed)) return 'olm.properties must be a JSON array of {type, value}';
  const out: TypedValue[] = [];
  for (const p of parsed) {
    const o = obj(p);
    if (!o || typeof o['type'] !== 'string' || o['value'] === undefined) return 'olm.properties entries need a string "type" and a "value"';
    out.push({ type: o['type'], value: o['value'] });
  }
  return out;
}

/** Group/version of an apiVersion string (`apiextensions.k8s.io/v1` → version `v1`). */
function apiVersionPart(o: Obj): string {
  const av = str(o['apiVersion']);
  return av.includes('/') ? av.slice(av.lastIndexOf('/') + 1) : av;
}

/**
 * APIs a bundle provides: every version of each CRD object in it (apiextensions v1 or v1beta1; for
 * v1beta1 also `spec.version`), plus the CSV's owned API service definitions.
 */
export function providedApis(csv: Obj, objects: readonly KubeObject[]): GroupVersionKind[] {
  const out = new Map<string, GroupVersionKind>();
  const add = (g: GroupVersionKind): void => {
    out.set(`${g.group}\0${g.version}\0${g.kind}\0${g.plural}`, g);
  };
  for (const { object } of objects) {
    if (kindOf(object) !== 'CustomResourceDefinition') continue;
    const apiVersion = apiVersionPart(object);
    if (apiVersion !== 'v1' && apiVersion !== 'v1beta1') continue;
    const spec = obj(object['spec']) ?? {};
    const names = obj(spec['names']) ?? {};
    const base = { group: str(spec['group']), kind: str(names['kind']), plural: str(names['plural']) };
    for (const v of arr(spec['versions'])) add({ ...base, version: str(obj(v)?.['name']) });
    if (apiVersion === 'v1beta1' && str(spec['version']) !== '') add({ ...base, version: str(spec['version']) });
  }
  for (const d of arr(obj(specOf(csv)['apiservicedefinitions'])?.['owned'])) {
    const o = obj(d) ?? {};
    add({ group: str(o['group']), version: str(o['version']), kind: str(o['kind']), plural: str(o['name']) });
  }
  return sortGvks([...out.values()]);
}

/**
 * APIs a bundle requires: `spec.customresourcedefinitions.required` (plural and group from the name,
 * split at the first dot) and `spec.apiservicedefinitions.required`. Names without a dot are reported.
 */
export function requiredApis(csv: Obj): { apis: GroupVersionKind[]; errors: string[] } {
  const out = new Map<string, GroupVersionKind>();
  const errors: string[] = [];
  for (const d of arr(obj(specOf(csv)['customresourcedefinitions'])?.['required'])) {
    const o = obj(d) ?? {};
    const name = str(o['name']);
    const dot = name.indexOf('.');
    if (dot < 0) {
      errors.push(`required CRD name "${name}" is not of the form plural.group`);
      continue;
    }
    const g = { group: name.slice(dot + 1), version: str(o['version']), kind: str(o['kind']), plural: name.slice(0, dot) };
    out.set(`${g.group}\0${g.version}\0${g.kind}\0${g.plural}`, g);
  }
  for (const d of arr(obj(specOf(csv)['apiservicedefinitions'])?.['required'])) {
    const o = obj(d) ?? {};
    const g = { group: str(o['group']), version: str(o['version']), kind: str(o['kind']), plural: str(o['name']) };
    out.set(`${g.group}\0${g.version}\0${g.kind}\0${g.plural}`, g);
  }
  return { apis: sortGvks([...out.values()]), errors };
}

function sortGvks(list: GroupVersionKind[]): GroupVersionKind[] {
  return list.sort((a, b) =>
    a.group < b.group ? -1 : a.group > b.group ? 1 : a.version < b.version ? -1 : a.version > b.version ? 1 : a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0,
  );
}
