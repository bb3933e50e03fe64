/**
 * The public shapes of the App Registry ("Quay CNR") client: what `downloadAppRegistry` takes, what it
 * returns, and the progress events it reports. See ../shared/reference/app-registry.md for the protocol.
 */

/** The public Quay service; sites that still run an App Registry give their own. */
export const DEFAULT_APP_REGISTRY_ENDPOINT = 'https://quay.io/cnr';

/** How a downloaded blob was laid out (told apart by counting the regular files in its tar). */
export type AppRegistryLayout = 'nested' | 'flattened';

export interface DownloadAppRegistryOptions {
  /** Base of the protocol's paths; default {@link DEFAULT_APP_REGISTRY_ENDPOINT}. */
  endpoint?: string;
  /** The Quay namespace (organization) whose repositories are the operators to download. */
  namespace: string;
  /**
   * Sent verbatim as the `Authorization` header (Quay tokens look like `basic <base64>`); no header when
   * absent or empty. Never printed: errors and progress events never contain it.
   */
  authToken?: string;
  /** Only these repositories, each `repo` (its default release) or `repo:release` (that release). */
  packages?: readonly string[];
  /** Verify TLS certificates (default true). */
  tlsVerify?: boolean;
  /** A PEM file of CA certificates trusted in addition to the system roots. */
  caFile?: string;
  signal?: AbortSignal;
  onProgress?: (event: AppRegistryProgress) => void;
  /** Tries per request, counting the first (default 6, as for image registries). */
  maxAttempts?: number;
}

export interface DownloadedAppRegistryPackage {
  /** The repository name (the part after `namespace/` in the listing). */
  name: string;
  release: string;
  /** The blob's digest as `sha256:<hex>` (the protocol's `content.digest` is the bare hex). */
  digest: string;
  layout: AppRegistryLayout;
  /** `workDir/<name>`: the package folder tree (nested) or a folder holding the one flattened YAML. */
  dir: string;
}

export interface AppRegistryDownload {
  /** The folders to pass to `loadManifests`, one per package, in listing order. */
  roots: string[];
  packages: DownloadedAppRegistryPackage[];
}

/** Progress of a download. No event carries the auth token. */
export type AppRegistryProgress =
  | { type: 'listed'; namespace: string; available: number; selected: number }
  | { type: 'package-start'; name: string; release: string; size: number }
  | { type: 'package-bytes'; name: string; bytes: number; size: number }
  | { type: 'package-done'; name: string; release: string; digest: string; layout: AppRegistryLayout; files: number }
  | { type: 'retry'; what: string; attempt: number; delayMs: number; reason: string };
