/**
 * `registry images --to`: the images of a catalog → `SRC=DST` mappings (for `ferry image mirror -f`
 * or `oc image mirror -f`) and the cluster manifests that point the cluster at the mirror
 * (ICSP, IDMS, ITMS, CatalogSource), written with `mapping.txt` into one folder.
 */
import { parseReference } from '../oci/reference.js';
import { buildClusterManifests, type ManifestFile, type MirrorSourcePolicy } from './cluster-manifests.js';
import { buildMapping, formatMappingFile, type MirrorMapping } from './mapping.js';
import { mirrorReference, type NamingOptions } from './naming.js';
import { formatReference } from '../oci/reference.js';
import { writeManifestFiles } from './write-manifests.js';

export const MAPPING_FILE = 'mapping.txt';

export interface MirrorFilesInput {
  /** Normalized image references (the catalog image among them, when there is one). */
  images: readonly string[];
  /** The catalog image (normalized), for the CatalogSource. */
  catalog?: string;
  naming: NamingOptions;
  catalogName: string;
  displayName?: string;
  publisher?: string;
  mirrorSourcePolicy?: MirrorSourcePolicy;
}

export interface MirrorPlanInput extends MirrorFilesInput {
  manifestsDir: string;
}

export interface MirrorFiles {
  mappings: MirrorMapping[];
  /** The cluster manifests and mapping.txt, as file name → content. */
  files: ManifestFile[];
  omitted: Array<{ name: string; reason: string }>;
  catalogMirror?: string;
  warnings: string[];
}

export interface MirrorPlan {
  mappings: MirrorMapping[];
  manifestsDir: string;
  written: string[];
  omitted: Array<{ name: string; reason: string }>;
  catalogMirror?: string;
  warnings: string[];
}

/** The mapping and the cluster manifests for `images` mirrored under `naming.to`, not written. */
export function buildMirrorFiles(input: MirrorFilesInput): MirrorFiles {
  const { mappings, warnings } = buildMapping(input.images, input.naming);
  const catalogMirror = input.catalog === undefined ? undefined : formatReference(mirrorReference(parseReference(input.catalog), input.naming));
  const manifests = buildClusterManifests({
    mappings,
    catalog: input.catalog === undefined || catalogMirror === undefined ? undefined : { source: input.catalog, mirrored: catalogMirror },
    catalogName: input.catalogName,
    ...(input.displayName ? { displayName: input.displayName } : {}),
    ...(input.publisher ? { publisher: input.publisher } : {}),
    ...(input.mirrorSourcePolicy ? { mirrorSourcePolicy: input.mirrorSourcePolicy } : {}),
  });
  return {
    mappings,
    files: [...manifests.files, { name: MAPPING_FILE, content: formatMappingFile(mappings) }],
    omitted: manifests.omitted,
    ...(catalogMirror ? { catalogMirror } : {}),
    warnings: [...warnings, ...manifests.warnings],
  };
}

export function planMirror(input: MirrorPlanInput): Promise<MirrorPlan> {
  return writeMirrorFiles(input.manifestsDir, buildMirrorFiles(input));
}

/** Writes what buildMirrorFiles made into `manifestsDir` (all or nothing, stale managed files removed). */
export async function writeMirrorFiles(manifestsDir: string, built: MirrorFiles): Promise<MirrorPlan> {
  const { written } = await writeManifestFiles(manifestsDir, built.files, { managedNames: [MAPPING_FILE] });
  return {
    mappings: built.mappings,
    manifestsDir,
    written,
    omitted: built.omitted,
    ...(built.catalogMirror ? { catalogMirror: built.catalogMirror } : {}),
    warnings: built.warnings,
  };
}

/** A CatalogSource name from the catalog's repository: its last path component, made a DNS-1123 label. */
export function defaultCatalogName(catalog: string | undefined): string {
  if (catalog === undefined) return 'ferry-catalog';
  const last = parseReference(catalog).path.split('/').pop() ?? 'catalog';
  const name = last.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return name === '' ? 'ferry-catalog' : name;
}
