import type { Bundle } from '../model.js';

/** A channel as a package manifest declares it. */
export interface DeclaredChannel {
  readonly name: string;
  readonly currentCSV: string;
}

/** The package file of a package-manifest layout (`<pkg>.package.yaml`). */
export interface PackageFile {
  readonly file: string;
  readonly packageName: string;
  readonly defaultChannel: string;
  readonly channels: readonly DeclaredChannel[];
}

/**
 * A package as read from its source, before channels are built: package-manifest layouts carry a
 * package file; bundle layouts carry channel annotations on each bundle.
 */
export interface RawPackage {
  readonly name: string;
  readonly source: string;
  readonly packageFile?: PackageFile;
  readonly bundles: readonly Bundle[];
}
