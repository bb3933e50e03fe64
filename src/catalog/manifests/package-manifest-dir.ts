/**
 * Package-manifest layouts (the App Registry era): a package file plus CSVs and CRDs, either in one
 * sub-folder per version ("nested") or all in one folder ("flattened"). As opm's directory loader does,
 * a CSV is any file whose first document has `kind: ClusterServiceVersion`, and its bundle is the CSV
 * plus the first document of every other file in the same folder (other CSVs excluded). So a version
 * folder holding two CSVs gives two bundles that share the folder's CRDs.
 */
import path from 'node:path';
import { makeBundle } from '../bundle.js';
import { isCsv, kindOf } from '../csv.js';
import type { Bundle, KubeObject } from '../model.js';
import type { ProblemList } from '../problems.js';
import { validateDocument } from '../schemas.js';
import { readDocs, walkManifestFiles, type Doc } from './files.js';
import type { PackageFile, RawPackage } from './raw-package.js';

/** A document that is a package manifest rather than a Kubernetes object. */
export function isPackageManifestDoc(doc: Doc): boolean {
  return doc['packageName'] !== undefined && doc['kind'] === undefined;
}

export function toPackageFile(doc: Doc, file: string, problems: ProblemList): PackageFile | undefined {
  if (!validateDocument('package-manifest', doc, file, problems)) return undefined;
  const channels = (doc['channels'] as { name: string; currentCSV: string }[]).map((c) => ({ name: c.name, currentCSV: c.currentCSV }));
  return {
    file,
    packageName: doc['packageName'] as string,
    defaultChannel: typeof doc['defaultChannel'] === 'string' ? doc['defaultChannel'] : '',
    channels,
  };
}

export async function loadPackageManifestDir(dir: string, problems: ProblemList): Promise<RawPackage | undefined> {
  const files = await walkManifestFiles(dir);
  const firstDocs = new Map<string, Doc>();
  const packageFiles: PackageFile[] = [];
  for (const file of files) {
    const docs = await readDocs(file, problems);
    if (docs === undefined || docs.length === 0) continue;
    const first = docs[0]!;
    if (isPackageManifestDoc(first)) {
      const pf = toPackageFile(first, file, problems);
      if (pf) packageFiles.push(pf);
      continue;
    }
    if (kindOf(first) !== '') firstDocs.set(file, first);
  }
  if (packageFiles.length === 0) {
    problems.add(dir, 'no package file (a YAML file with packageName and channels) in this package-manifest folder');
    return undefined;
  }
  if (packageFiles.length > 1) {
    problems.add(dir, `more than one package file: ${packageFiles.map((p) => path.relative(dir, p.file)).join(', ')}`);
    return undefined;
  }
  const packageFile = packageFiles[0]!;

  const byFolder = new Map<string, KubeObject[]>();
  for (const [file, object] of firstDocs) {
    const folder = path.dirname(file);
    const list = byFolder.get(folder) ?? [];
    list.push({ file, object });
    byFolder.set(folder, list);
  }

  const bundles: Bundle[] = [];
  for (const [folder, objects] of byFolder) {
    for (const csv of objects.filter((o) => isCsv(o.object))) {
      const members = objects.filter((o) => o === csv || !isCsv(o.object));
      const bundle = makeBundle({ csv, objects: members, packageName: packageFile.packageName, source: folder }, problems);
      if (bundle) bundles.push(bundle);
    }
  }
  return { name: packageFile.packageName, source: dir, packageFile, bundles };
}
