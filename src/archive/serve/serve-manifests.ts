/**
 * `serve --manifests`: the cluster manifests (ICSP, IDMS, ITMS, CatalogSource) and `mapping.txt` that
 * point a cluster at the served names, as `registry images --to` and `push` write them, with the
 * mirror host being the address the cluster reaches the server at (`--advertise`, by default the
 * address it listens on) and the served images' names (./served-names.ts) as destinations.
 */
import { buildClusterManifests } from '../../mirror/cluster-manifests.js';
import { formatMappingFile, type MirrorMapping } from '../../mirror/mapping.js';
import { MAPPING_FILE, defaultCatalogName } from '../../mirror/plan-mirror.js';
import { writeManifestFiles } from '../../mirror/write-manifests.js';
import { servedNames, type ServeNaming } from './served-names.js';

export interface ServeManifestsInput {
  /** The served images' sources (normalized), the catalog among them. */
  images: readonly string[];
  /** The catalog's source, when it is served. */
  catalog?: string;
  naming: ServeNaming;
  /** `HOST:PORT` the cluster pulls from. */
  advertise: string;
  manifestsDir: string;
}

export interface ServeManifests {
  manifestsDir: string;
  written: string[];
  mappings: MirrorMapping[];
  catalogMirror?: string;
  warnings: string[];
}

export async function writeServeManifests(input: ServeManifestsInput): Promise<ServeManifests> {
  const { names, warnings } = servedNames(input.images, input.naming, input.advertise);
  const mappings = names.map((n) => ({ source: n.source, destination: n.destination }));
  const catalogMirror = input.catalog === undefined ? undefined : names.find((n) => n.source === input.catalog)?.destination;
  const manifests = buildClusterManifests({
    mappings,
    catalog: input.catalog === undefined || catalogMirror === undefined ? undefined : { source: input.catalog, mirrored: catalogMirror },
    catalogName: defaultCatalogName(input.catalog),
  });
  const files = [...manifests.files, { name: MAPPING_FILE, content: formatMappingFile(mappings) }];
  const { written } = await writeManifestFiles(input.manifestsDir, files, { managedNames: [MAPPING_FILE] });
  return { manifestsDir: input.manifestsDir, written, mappings, ...(catalogMirror ? { catalogMirror } : {}), warnings: [...warnings, ...manifests.warnings] };
}
