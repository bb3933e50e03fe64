/**
 * The one catalog model: package → channel → bundle. Loaders (package-manifest folders, bundle folders,
 * App Registry, bundle images) produce it; codecs (sqlite, file-based catalog) read and write it.
 */

/** A Kubernetes object as decoded from YAML/JSON, with the file it came from. */
export interface KubeObject {
  readonly file: string;
  readonly object: Record<string, unknown>;
}

/** A `{type, value}` pair as in properties.yaml, dependencies.yaml and the olm.properties annotation. */
export interface TypedValue {
  readonly type: string;
  readonly value: unknown;
}

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** Plural resource name (from the CRD, or the API service description's name). */
  readonly plural: string;
}

export interface Bundle {
  /** CSV `metadata.name`. */
  readonly name: string;
  readonly packageName: string;
  /** CSV `spec.version`, '' when absent. */
  readonly version: string;
  readonly replaces: string;
  readonly skips: readonly string[];
  readonly skipRange: string;
  readonly substitutesFor: string;
  /** The ClusterServiceVersion object. */
  readonly csv: KubeObject;
  /** Every object of the bundle in load order (the CSV included). */
  readonly objects: readonly KubeObject[];
  /** The bundle image when the bundle was loaded from an image, else ''. */
  readonly bundlePath: string;
  /** Channels the bundle declares (bundle format annotations); empty for package-manifest layouts. */
  readonly channels: readonly string[];
  /** `...bundle.channel.default.v1` annotation, if any. */
  readonly defaultChannelAnnotation?: string;
  /** `metadata/properties.yaml` entries and the CSV's `olm.properties` annotation. */
  readonly extraProperties: readonly TypedValue[];
  /** `metadata/dependencies.yaml` entries. */
  readonly extraDependencies: readonly TypedValue[];
  /** Folder (or image) the bundle was loaded from, for messages. */
  readonly source: string;
}

/** One row of the upgrade graph as operator-registry stores it in `channel_entry`. */
export interface ChannelEntry {
  readonly bundle: string;
  /** Index (within the channel's entries) of the entry this one replaces. */
  readonly replaces?: number;
  readonly depth: number;
}

export interface Channel {
  readonly name: string;
  readonly head: string;
  /** The channel's entries in insertion order. */
  readonly entries: readonly ChannelEntry[];
}

/** How a package's channels were built from its bundles. */
export type GraphMode = 'package-manifest' | 'replaces' | 'semver' | 'semver-skippatch';

export interface Package {
  readonly name: string;
  readonly defaultChannel: string;
  readonly channels: readonly Channel[];
  readonly bundles: readonly Bundle[];
  readonly mode: GraphMode;
  /**
   * Bundles already in the database that the channels use too: the package is extended (its stored
   * bundles kept, its channels rebuilt over old and new), not replaced. Absent for a package loaded whole.
   */
  readonly storedBundles?: readonly string[];
  /** Where the package was read from (folder or file), for messages. */
  readonly source: string;
}

export interface Catalog {
  readonly packages: readonly Package[];
}
