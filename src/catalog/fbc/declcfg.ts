/**
 * The objects of a file-based catalog (operator-registry's declcfg) as ferry writes them: the
 * members in the order of opm's Go structs, so that they encode byte for byte as `opm render` and
 * `opm migrate` write them. Property values are RawJson: opm keeps the text of the database's
 * property rows, only compacted.
 */
import { goEncodeIndented, RawJson } from './go-json-indent.js';

export const SCHEMA_PACKAGE = 'olm.package';
export const SCHEMA_CHANNEL = 'olm.channel';
export const SCHEMA_BUNDLE = 'olm.bundle';

export interface FbcIcon {
  /** Base64 (standard, padded) of the icon bytes. */
  base64data: string;
  mediatype: string;
}

export interface FbcPackage {
  schema: typeof SCHEMA_PACKAGE;
  name: string;
  defaultChannel: string;
  icon?: FbcIcon;
  description?: string;
}

export interface FbcChannelEntry {
  name: string;
  replaces?: string;
  skips?: string[];
  skipRange?: string;
}

export interface FbcChannel {
  schema: typeof SCHEMA_CHANNEL;
  name: string;
  package: string;
  entries: FbcChannelEntry[];
}

export interface FbcProperty {
  type: string;
  value: RawJson;
}

export interface FbcRelatedImage {
  name: string;
  image: string;
}

export interface FbcBundle {
  schema: typeof SCHEMA_BUNDLE;
  name: string;
  package: string;
  image: string;
  properties: FbcProperty[];
  relatedImages?: FbcRelatedImage[];
}

/** Everything of one package, bundles produced one at a time (a package may be large). */
export interface FbcPackageContent {
  package: FbcPackage;
  channels: FbcChannel[];
  bundles: Iterable<FbcBundle>;
}

/** One object encoded as opm's JSON writer does (4-space indent, trailing newline). */
export function encodeFbcObject(value: FbcPackage | FbcChannel | FbcBundle): string {
  return goEncodeIndented(ordered(value));
}

/** The members in struct order, empty optional members left out (Go's omitempty). */
function ordered(value: FbcPackage | FbcChannel | FbcBundle): Record<string, unknown> {
  switch (value.schema) {
    case SCHEMA_PACKAGE:
      return {
        schema: value.schema,
        name: value.name,
        defaultChannel: value.defaultChannel,
        icon: value.icon ? { base64data: value.icon.base64data, mediatype: value.icon.mediatype } : undefined,
        description: value.description || undefined,
      };
    case SCHEMA_CHANNEL:
      return {
        schema: value.schema,
        name: value.name,
        package: value.package,
        entries: value.entries.map((e) => ({
          name: e.name,
          replaces: e.replaces || undefined,
          skips: e.skips?.length ? e.skips : undefined,
          skipRange: e.skipRange || undefined,
        })),
      };
    case SCHEMA_BUNDLE:
      return {
        schema: value.schema,
        name: value.name,
        package: value.package,
        image: value.image,
        properties: value.properties.length ? value.properties.map((p) => ({ type: p.type, value: p.value })) : undefined,
        relatedImages: value.relatedImages?.length ? value.relatedImages.map((r) => ({ name: r.name, image: r.image })) : undefined,
      };
  }
}
