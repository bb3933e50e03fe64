/** The labels, paths and commands that make an image a catalog (index) image (see catalog-database.md). */
export const DATABASE_LABEL = 'operators.operatorframework.io.index.database.v1';
export const CONFIGS_LABEL = 'operators.operatorframework.io.index.configs.v1';
export const DATABASE_PATH = '/database/index.db';
export const CONFIGS_PATH = '/configs';
/**
 * The default base of a sqlite catalog: the last opm release line that still serves sqlite.
 * Upstream opm dropped sqlite after v1.73.0, so `opm:latest` has no `opm registry serve` and a
 * sqlite catalog built on it fails at start.
 */
export const DEFAULT_BASE_IMAGE = 'quay.io/operator-framework/opm:v1.73.0';
/** The default base of a file-based catalog: any current opm serves file-based catalogs. */
export const DEFAULT_FBC_BASE_IMAGE = 'quay.io/operator-framework/opm:latest';
export const CATALOG_ENTRYPOINT = ['/bin/opm'];
export const CATALOG_CMD = ['registry', 'serve', '--database', DATABASE_PATH];
export const FBC_CMD = ['serve', CONFIGS_PATH, '--cache-dir=/tmp/cache'];
export const CATALOG_PORT = '50051/tcp';

/** What a catalog image carries: a sqlite database, or a file-based catalog. */
export type CatalogFormat = 'sqlite' | 'fbc';

export function defaultBaseImage(format: CatalogFormat): string {
  return format === 'fbc' ? DEFAULT_FBC_BASE_IMAGE : DEFAULT_BASE_IMAGE;
}
