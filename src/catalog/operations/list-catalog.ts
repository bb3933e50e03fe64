/** `registry list`: packages, their default channel, channels and heads, and bundle counts. */
import { openDatabase } from '../sqlite/database.js';
import { CatalogQueries } from '../sqlite/queries.js';

export interface ChannelListing {
  name: string;
  head: string;
}

export interface PackageListing {
  name: string;
  defaultChannel: string;
  channels: ChannelListing[];
  bundles: { name: string; version: string; bundlePath: string }[];
}

export interface CatalogListing {
  database: string;
  schemaVersion: number;
  packages: PackageListing[];
}

export async function listCatalog(options: { database: string }): Promise<CatalogListing> {
  const { db, originalVersion } = await openDatabase(options.database);
  try {
    return { database: options.database, schemaVersion: originalVersion, packages: packageListing(new CatalogQueries(db)) };
  } finally {
    db.close();
  }
}

/** Every package of an open database with its default channel, channels and heads, and bundles, sorted. */
export function packageListing(q: CatalogQueries): PackageListing[] {
  return q
    .listPackages()
    .sort()
    .map((name) => ({
      name,
      defaultChannel: q.getDefaultChannel(name),
      channels: q
        .listChannels(name)
        .sort()
        .map((channel) => ({ name: channel, head: q.getCurrentCSVNameForChannel(name, channel) ?? '' })),
      bundles: q.getBundlesForPackage(name).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    }));
}
