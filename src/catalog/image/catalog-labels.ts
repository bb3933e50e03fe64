/** The labels and paths that make an image a catalog (index) image (see catalog-database.md). */
export const DATABASE_LABEL = 'operators.operatorframework.io.index.database.v1';
export const CONFIGS_LABEL = 'operators.operatorframework.io.index.configs.v1';
export const DATABASE_PATH = '/database/index.db';
export const DEFAULT_BASE_IMAGE = 'quay.io/operator-framework/opm:latest';
export const CATALOG_ENTRYPOINT = ['/bin/opm'];
export const CATALOG_CMD = ['registry', 'serve', '--database', DATABASE_PATH];
export const CATALOG_PORT = '50051/tcp';
