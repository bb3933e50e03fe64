/**
 * The read queries of operator-registry's sqlite Querier that ferry offers, with opm's exact SQL, as a
 * typed API over an open database.
 */
import { queryColumn, queryRows, type Database } from './database.js';

export interface BundleSummary {
  name: string;
  bundlePath: string;
  version: string;
}

export class CatalogQueries {
  constructor(private readonly db: Database) {}

  listPackages(): string[] {
    return queryColumn<string>(this.db, 'SELECT DISTINCT name FROM package');
  }

  listChannels(packageName: string): string[] {
    return queryColumn<string>(this.db, 'SELECT DISTINCT name FROM channel WHERE channel.package_name=?', [packageName]);
  }

  getCurrentCSVNameForChannel(packageName: string, channel: string): string | undefined {
    return queryColumn<string>(
      this.db,
      'SELECT DISTINCT head_operatorbundle_name FROM channel WHERE channel.package_name=? AND channel.name=?',
      [packageName, channel],
    )[0];
  }

  getBundlesForPackage(packageName: string): BundleSummary[] {
    return queryRows<{ name: string; bundlepath: string | null; version: string | null }>(
      this.db,
      'SELECT DISTINCT name, bundlepath, version FROM operatorbundle INNER JOIN channel_entry ON operatorbundle.name=channel_entry.operatorbundle_name WHERE channel_entry.package_name=?',
      [packageName],
    ).map((r) => ({ name: r.name, bundlePath: r.bundlepath ?? '', version: r.version ?? '' }));
  }

  listImages(): string[] {
    return queryColumn<string>(this.db, 'SELECT DISTINCT image FROM related_image');
  }

  getImagesForBundle(csvName: string): string[] {
    return queryColumn<string>(this.db, 'SELECT DISTINCT image FROM related_image WHERE operatorbundle_name=?', [csvName]);
  }

  /** Default channel of a package ('' when unset). */
  getDefaultChannel(packageName: string): string {
    return queryColumn<string | null>(this.db, 'SELECT default_channel FROM package WHERE name=?', [packageName])[0] ?? '';
  }

  /**
   * Every (image, bundle) pair a cluster pulls: the related images and every non-empty bundle path
   * (older databases do not list bundle images in related_image, yet an index installs from them).
   */
  listImagesWithBundles(): { image: string; bundle: string }[] {
    return queryRows<{ image: string; operatorbundle_name: string }>(
      this.db,
      `SELECT image, operatorbundle_name FROM related_image
       UNION SELECT bundlepath, name FROM operatorbundle WHERE bundlepath IS NOT NULL AND bundlepath != ''
       ORDER BY 1, 2`,
    ).map((r) => ({ image: r.image, bundle: r.operatorbundle_name }));
  }
}
