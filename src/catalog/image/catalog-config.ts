/** The base image's config turned into a catalog image's: label, entrypoint, cmd, port, the new layer. */
import type { ImageConfigDocument } from '../../oci/image-config.js';
import { CATALOG_CMD, CATALOG_ENTRYPOINT, CATALOG_PORT, DATABASE_LABEL, DATABASE_PATH } from './catalog-labels.js';

export function catalogConfig(base: ImageConfigDocument, diffId: string, created: string): ImageConfigDocument {
  const config = { ...(base.config ?? {}) };
  config.Labels = { ...(config.Labels ?? {}), [DATABASE_LABEL]: DATABASE_PATH };
  config.Entrypoint = [...CATALOG_ENTRYPOINT];
  config.Cmd = [...CATALOG_CMD];
  config.ExposedPorts = { ...(config.ExposedPorts ?? {}), [CATALOG_PORT]: {} };
  return {
    ...base,
    created,
    config,
    rootfs: { type: 'layers', diff_ids: [...(base.rootfs?.diff_ids ?? []), diffId] },
    history: [...(base.history ?? []), { created, created_by: `ferry registry build: ADD index.db ${DATABASE_PATH}`, comment: 'ferry' }],
  };
}
