/**
 * Loading operator manifests from folders into the catalog model, validated as a whole: every
 * problem in every file is collected and reported together, and nothing is returned unless the whole
 * input is valid.
 */
import { loadBundleDir } from './manifests/bundle-dir.js';
import { discoverSources } from './manifests/discover.js';
import { readDocs } from './manifests/files.js';
import { isFlattenedDoc, loadFlattenedDoc } from './manifests/flattened-file.js';
import { loadPackageManifestDir } from './manifests/package-manifest-dir.js';
import type { RawPackage, StoredPackage } from './manifests/raw-package.js';
import { buildPackage, type ModeOption } from './graph.js';
import type { Bundle, Catalog, Package } from './model.js';
import { ProblemList } from './problems.js';

export interface LoadOptions {
  /** How bundle-layout packages get their channels: replaces, semver, or auto (the default). */
  mode?: ModeOption;
  /** Bundle folders unpacked from bundle images: folder → image reference (stored as bundlepath). */
  bundleImages?: ReadonlyMap<string, string>;
  /**
   * Packages the database being added to holds already. Bundles of such a package extend it (opm's
   * `registry add -b`); a package-manifest folder of it replaces it whole, with a warning.
   */
  stored?: ReadonlyMap<string, StoredPackage>;
}

export interface LoadResult {
  catalog: Catalog;
  notes: string[];
  warnings: string[];
}

/** Reads manifests from every root into the catalog model. Throws InvalidInputError listing every problem. */
export async function loadManifests(roots: readonly string[], options: LoadOptions = {}): Promise<LoadResult> {
  const problems = new ProblemList();
  const sources = await discoverSources(roots, problems);
  const raws: RawPackage[] = [];
  const bundlesByPackage = new Map<string, Bundle[]>();
  for (const source of sources) {
    if (source.kind === 'package-manifest') {
      const raw = await loadPackageManifestDir(source.path, problems);
      if (raw) raws.push(raw);
    } else if (source.kind === 'bundle') {
      const bundle = await loadBundleDir(source.path, problems, options.bundleImages?.get(source.path) ?? '');
      if (bundle) bundlesByPackage.set(bundle.packageName, [...(bundlesByPackage.get(bundle.packageName) ?? []), bundle]);
    } else {
      for (const doc of (await readDocs(source.path, problems)) ?? []) {
        if (isFlattenedDoc(doc)) raws.push(...loadFlattenedDoc(doc, source.path, problems));
      }
    }
  }
  for (const [name, bundles] of bundlesByPackage) raws.push({ name, source: commonSource(bundles), bundles });

  const seen = new Map<string, RawPackage>();
  for (const raw of raws) {
    const other = seen.get(raw.name);
    if (other) problems.add(raw.source, `package ${raw.name} is also defined in ${other.source}`);
    else seen.set(raw.name, raw);
  }
  const packages: Package[] = [];
  const notes: string[] = [];
  const warnings: string[] = [];
  for (const seenRaw of seen.values()) {
    const stored = options.stored?.get(seenRaw.name);
    if (stored && seenRaw.packageFile) warnings.push(`package ${seenRaw.name} was in the database and is replaced by the package-manifest folder loaded now (its earlier bundles are not kept)`);
    const raw = stored && !seenRaw.packageFile ? { ...seenRaw, stored } : seenRaw;
    const built = buildPackage(raw, options.mode ?? 'auto', problems);
    if (built.pkg) packages.push(built.pkg);
    notes.push(...built.notes);
    warnings.push(...built.warnings);
  }
  warnings.push(...problems.warnings);
  checkCsvNamesAcrossPackages(packages, problems);
  problems.throwIfAny();
  packages.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { catalog: { packages }, notes, warnings };
}

/** A CSV name is the primary key of operatorbundle: it may appear in one package only. */
function checkCsvNamesAcrossPackages(packages: Package[], problems: ProblemList): void {
  const owner = new Map<string, Bundle>();
  for (const pkg of packages) {
    for (const b of pkg.bundles) {
      const other = owner.get(b.name);
      if (other) problems.add(b.csv.file, `CSV ${b.name} is also in package ${other.packageName} (${other.csv.file})`, 'metadata.name');
      else owner.set(b.name, b);
    }
  }
}

function commonSource(bundles: Bundle[]): string {
  const parts = bundles.map((b) => b.source.split('/'));
  const first = parts[0]!;
  let n = 0;
  while (n < first.length && parts.every((p) => p[n] === first[n])) n++;
  return first.slice(0, n).join('/') || bundles[0]!.source;
}
