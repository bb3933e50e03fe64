import type { Catalog } from '../model.js';

/** Counts that every database-writing operation reports. */
export interface CatalogSummary {
  packages: number;
  bundles: number;
  channels: number;
  /** How each package's channels were built (package-manifest, replaces, semver). */
  modes: Record<string, string>;
}

export function summarize(catalog: Catalog): CatalogSummary {
  return {
    packages: catalog.packages.length,
    bundles: catalog.packages.reduce((n, p) => n + p.bundles.length, 0),
    channels: catalog.packages.reduce((n, p) => n + p.channels.length, 0),
    modes: Object.fromEntries(catalog.packages.map((p) => [p.name, p.mode])),
  };
}
