/**
 * The App Registry ("Quay CNR") client: `downloadAppRegistry` fetches a namespace's operators into
 * folders that `loadManifests` reads. Protocol: ../shared/reference/app-registry.md.
 */
export { downloadAppRegistry } from './download.js';
export { UnsafeEntryError } from './entry-policy.js';
export {
  DEFAULT_APP_REGISTRY_ENDPOINT,
  type AppRegistryDownload,
  type AppRegistryLayout,
  type AppRegistryProgress,
  type DownloadAppRegistryOptions,
  type DownloadedAppRegistryPackage,
} from './types.js';
