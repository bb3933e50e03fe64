/**
 * The single-file flattened format of the App Registry era (also a ConfigMap): a YAML document whose
 * `data` holds `customResourceDefinitions`, `clusterServiceVersions` and `packages`, each a YAML string
 * holding a list. As opm's ConfigMap loader does, each CSV's bundle is the CSV plus the CRDs it owns.
 */
import { makeBundle } from '../bundle.js';
import { nameOf } from '../csv.js';
import type { Bundle, KubeObject } from '../model.js';
import type { ProblemList } from '../problems.js';
import { isMapping, parseValues, type Doc } from './files.js';
import { toPackageFile } from './package-manifest-dir.js';
import type { RawPackage } from './raw-package.js';

const KEYS = ['customResourceDefinitions', 'clusterServiceVersions', 'packages'] as const;

/** True for a document in the flattened `data:` format. */
export function isFlattenedDoc(doc: Doc): boolean {
  const data = doc['data'];
  return isMapping(data) && (typeof data['clusterServiceVersions'] === 'string' || typeof data['packages'] === 'string');
}

export function loadFlattenedDoc(doc: Doc, file: string, problems: ProblemList): RawPackage[] {
  const data = doc['data'] as Record<string, unknown>;
  const lists: Record<(typeof KEYS)[number], Doc[]> = { customResourceDefinitions: [], clusterServiceVersions: [], packages: [] };
  for (const key of KEYS) {
    const text = data[key];
    if (text === undefined || text === null) continue;
    if (typeof text !== 'string') {
      problems.add(file, 'must be a string holding a YAML list', `data.${key}`);
      continue;
    }
    const parsed = parseValues(text, `${file} (data.${key})`, problems);
    if (parsed === undefined) continue;
    const list = parsed[0] ?? [];
    if (!Array.isArray(list)) {
      problems.add(file, 'must hold a YAML list', `data.${key}`);
      continue;
    }
    lists[key] = list.filter(isMapping);
  }
  const crds = new Map<string, KubeObject>(lists.customResourceDefinitions.map((c) => [nameOf(c), { file, object: c }]));
  const packages: RawPackage[] = [];
  const csvs = lists.clusterServiceVersions.map((object) => ({ file, object }) as KubeObject);
  const claimed = new Set<string>();
  for (const [i, pkgDoc] of lists.packages.entries()) {
    const pf = toPackageFile(pkgDoc, `${file} (data.packages[${i}])`, problems);
    if (!pf) continue;
    const members = reachableCsvs(pf.channels.map((c) => c.currentCSV), csvs);
    const bundles: Bundle[] = [];
    for (const csv of members) {
      claimed.add(nameOf(csv.object));
      const owned = ownedCrdNames(csv.object).flatMap((n) => (crds.has(n) ? [crds.get(n)!] : []));
      const b = makeBundle({ csv, objects: [csv, ...owned], packageName: pf.packageName, source: file }, problems);
      if (b) bundles.push(b);
    }
    packages.push({ name: pf.packageName, source: file, packageFile: pf, bundles });
  }
  for (const csv of csvs) {
    if (!claimed.has(nameOf(csv.object))) {
      problems.add(file, `CSV ${nameOf(csv.object) || '(no name)'} is not reachable from any channel of the packages in this file`, 'data.clusterServiceVersions');
    }
  }
  return packages;
}

function ownedCrdNames(csv: Doc): string[] {
  const owned = ((csv['spec'] as Doc | undefined)?.['customresourcedefinitions'] as Doc | undefined)?.['owned'];
  return Array.isArray(owned) ? owned.map((o) => String((o as Doc)['name'] ?? '')) : [];
}

/** CSVs reachable from the heads along replaces and skips. */
function reachableCsvs(heads: string[], csvs: KubeObject[]): KubeObject[] {
  const byName = new Map(csvs.map((c) => [nameOf(c.object), c]));
  const seen = new Set<string>();
  const queue = [...heads];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name) || !byName.has(name)) continue;
    seen.add(name);
    const spec = (byName.get(name)!.object['spec'] ?? {}) as Doc;
    if (typeof spec['replaces'] === 'string') queue.push(spec['replaces']);
    if (Array.isArray(spec['skips'])) queue.push(...spec['skips'].map(String));
  }
  return csvs.filter((c) => seen.has(nameOf(c.object)));
}
