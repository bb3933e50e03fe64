/**
 * The base image's config turned into a catalog image's: label, entrypoint, cmd, port, the new
 * layer. A sqlite catalog runs `opm registry serve --database /database/index.db`; a file-based
 * catalog runs `opm serve /configs --cache-dir=/tmp/cache`, as opm's own generated Dockerfile does.
 */
import type { ConfigureImage } from './append-layer.js';
import { CATALOG_CMD, CATALOG_ENTRYPOINT, CATALOG_PORT, CONFIGS_LABEL, CONFIGS_PATH, DATABASE_LABEL, DATABASE_PATH, FBC_CMD, type CatalogFormat } from './catalog-labels.js';


export function configureCatalog(format: CatalogFormat): ConfigureImage {
  const [label, value, cmd, added] =
    format === 'fbc' ? [CONFIGS_LABEL, CONFIGS_PATH, FBC_CMD, `ADD configs ${CONFIGS_PATH}`] : [DATABASE_LABEL, DATABASE_PATH, CATALOG_CMD, `ADD index.db ${DATABASE_PATH}`];
  return (base, diffId, created) => {
    const config = { ...(base.config ?? {}) };
    config.Labels = { ...(config.Labels ?? {}), [label]: value };
    config.Entrypoint = [...CATALOG_ENTRYPOINT];
    config.Cmd = [...cmd];
    config.ExposedPorts = { ...(config.ExposedPorts ?? {}), [CATALOG_PORT]: {} };
    return {
      ...base,
      created,
      config,
      rootfs: { type: 'layers', diff_ids: [...(base.rootfs?.diff_ids ?? []), diffId] },
      history: [...(base.history ?? []), { created, created_by: `ferry registry build: ${added}`, comment: 'ferry' }],
    };
  };
}
