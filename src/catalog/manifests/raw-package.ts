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
  /** The package as the database holds it already, when bundles are added to it. */
  readonly stored?: StoredPackage;
}

/** A bundle as the channel graph sees it: one already in the database, or (with its file) a new one. */
export interface StoredNode {
  readonly name: string;
  readonly version: string;
  readonly replaces: string;
  readonly skips: readonly string[];
  /** Channels it is in; for a stored bundle those it has entries in (channel_entry is authoritative, as in opm). */
  readonly channels: readonly string[];
  /** Its default-channel annotation; for a stored bundle the package's current default (opm hands that to every stored bundle). */
  readonly defaultChannelAnnotation?: string;
}

export interface StoredPackage {
  /** The database, for messages. */
  readonly source: string;
  readonly nodes: readonly StoredNode[];
}
