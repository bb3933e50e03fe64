/**
 * The flags that say what a catalog is built from, shared by `registry build` and `pack` (which
 * builds the catalog first when given these instead of --catalog): manifest folders, App Registry,
 * bundle images, a starting database or catalog image.
 */
import { Flags } from '@oclif/core';
import { DEFAULT_APP_REGISTRY_ENDPOINT, type AppRegistryProgress } from '../catalog/appregistry/index.js';
import type { CatalogSources } from '../catalog/operations/build-catalog.js';
import { modeFlag, optionalFromDirFlag } from './flags.js';

export const catalogSourceFlags = {
  'from-dir': optionalFromDirFlag,
  'appregistry-namespace': Flags.string({ description: 'App Registry namespace whose operators to add (every one, or those named with --appregistry-packages).' }),
  'appregistry-endpoint': Flags.string({ description: 'App Registry endpoint (with --appregistry-namespace).', default: DEFAULT_APP_REGISTRY_ENDPOINT }),
  'appregistry-packages': Flags.string({ description: "Only these operators of the namespace; PKG:RELEASE pins a release (default: each one's default release).", multiple: true, delimiter: ',', dependsOn: ['appregistry-namespace'] }),
  'auth-token': Flags.string({ description: 'App Registry token, sent as the Authorization header (e.g. "basic dXNlcjpwYXNz").', dependsOn: ['appregistry-namespace'] }),
  bundles: Flags.string({ description: 'Bundle images to add (pulled; /manifests and /metadata unpacked; the image becomes a related image). Comma-separated or repeated.', multiple: true, delimiter: ',' }),
  'from-db': Flags.string({ description: 'Start from this database (it is read, never modified).', exclusive: ['from-index'] }),
  'from-index': Flags.string({ description: 'Start from the database of this catalog image.', exclusive: ['from-db'] }),
  mode: modeFlag,
};

export interface CatalogSourceFlagValues {
  'from-dir'?: string[];
  'appregistry-namespace'?: string;
  'appregistry-endpoint': string;
  'appregistry-packages'?: string[];
  'auth-token'?: string;
  bundles?: string[];
  'from-db'?: string;
  'from-index'?: string;
  mode: CatalogSources['mode'];
  'src-tls-verify'?: boolean;
  'tls-verify'?: boolean;
  'skip-tls-verify'?: boolean;
  'ca-file'?: string;
}

/** True when any source flag was given. */
export function hasCatalogSource(flags: CatalogSourceFlagValues): boolean {
  return Boolean(flags['from-dir'] || flags.bundles || flags['from-db'] || flags['from-index'] || flags['appregistry-namespace']);
}

export function catalogSources(flags: CatalogSourceFlagValues, info: (line: string) => void): CatalogSources {
  return {
    ...(flags['from-dir'] ? { fromDirs: flags['from-dir'] } : {}),
    ...(flags.bundles ? { bundles: flags.bundles } : {}),
    ...(flags['from-db'] ? { fromDb: flags['from-db'] } : {}),
    ...(flags['from-index'] ? { fromIndex: flags['from-index'] } : {}),
    ...(flags['appregistry-namespace']
      ? {
          appRegistry: {
            namespace: flags['appregistry-namespace'],
            endpoint: flags['appregistry-endpoint'],
            ...(flags['auth-token'] ? { authToken: flags['auth-token'] } : {}),
            ...(flags['appregistry-packages'] ? { packages: flags['appregistry-packages'] } : {}),
            tlsVerify: flags['skip-tls-verify'] ? false : (flags['src-tls-verify'] ?? flags['tls-verify'] ?? true),
            ...(flags['ca-file'] ? { caFile: flags['ca-file'] } : {}),
            onProgress: (e: AppRegistryProgress) => {
              if (e.type === 'listed') info(`App Registry ${e.namespace}: ${e.selected} of ${e.available} operators`);
              else if (e.type === 'package-done') info(`downloaded ${e.name} ${e.release} (${e.layout}, ${e.files} files) ${e.digest}`);
            },
          },
        }
      : {}),
    mode: flags.mode,
  };
}
