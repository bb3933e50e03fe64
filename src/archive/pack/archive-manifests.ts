/**
 * The cluster manifests an archive carries under `manifests/`: exactly what `registry images --to`
 * writes (ICSP, IDMS, ITMS, CatalogSource, mapping.txt) for the images the archive holds, mirrored
 * under the placeholder host `ferry-mirror.invalid` (`.invalid` never resolves). `ferry push`
 * writes them again for the real mirror; these show what will be applied, and serve users who push
 * the archive with other tools.
 */
import type { ManifestFile } from '../../mirror/cluster-manifests.js';
import { buildMirrorFiles, defaultCatalogName } from '../../mirror/plan-mirror.js';
import { PLACEHOLDER_MIRROR } from '../archive-metadata.js';

export interface ArchiveManifests {
  files: ManifestFile[];
  warnings: string[];
}

export function archiveManifests(catalog: string, images: readonly string[]): ArchiveManifests {
  const built = buildMirrorFiles({ images: [catalog, ...images], catalog, naming: { to: PLACEHOLDER_MIRROR }, catalogName: defaultCatalogName(catalog) });
  return { files: built.files, warnings: built.warnings };
}
