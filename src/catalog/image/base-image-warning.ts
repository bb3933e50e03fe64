/**
 * The warning for a sqlite catalog built on `operator-framework/opm:latest` (or untagged, which is
 * latest): opm releases after v1.73.0 have no sqlite support, so such a catalog's
 * `opm registry serve` fails when the pod starts. Mirrored copies (`mirror:5000/operator-framework/opm`)
 * count too; a pinned tag or a digest does not.
 */
import { parseReference } from '../../oci/reference.js';
import { parseImageName } from '../../oci/transport.js';
import { DEFAULT_BASE_IMAGE, type CatalogFormat } from './catalog-labels.js';

export function latestOpmBaseWarning(base: string, format: CatalogFormat): string | undefined {
  if (format !== 'sqlite') return undefined;
  let path: string;
  let tag: string | undefined;
  let digest: string | undefined;
  try {
    const name = parseImageName(base);
    const ref = name.transport === 'docker' ? name.reference : name.reference ? parseReference(name.reference) : undefined;
    if (ref === undefined) return undefined;
    ({ path, tag, digest } = ref);
  } catch {
    return undefined;
  }
  if (!/(^|\/)operator-framework\/opm$/.test(path) || digest !== undefined || (tag !== undefined && tag !== 'latest')) return undefined;
  return `the base ${base} is opm:latest, which no longer serves sqlite catalogs (opm dropped sqlite after v1.73.0): the catalog image will fail at start; use --from ${DEFAULT_BASE_IMAGE} (the default for sqlite), or --output-format fbc`;
}
