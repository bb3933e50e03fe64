/**
 * The images a catalog database needs: ListImages (or GetImagesForBundle), normalized to full
 * references, sorted and de-duplicated. Strings that are not valid references are reported with the
 * bundles that name them rather than dropped silently.
 */
import { NotFoundError } from '../../errors.js';
import { normalizeReference, ReferenceError } from '../../oci/reference.js';
import { openDatabase } from '../sqlite/database.js';
import { CatalogQueries } from '../sqlite/queries.js';

export interface InvalidImage {
  image: string;
  reason: string;
  bundles: string[];
}

export interface ListImagesResult {
  images: string[];
  invalid: InvalidImage[];
}

export async function listDatabaseImages(options: { database: string; bundle?: string }): Promise<ListImagesResult> {
  const { db } = await openDatabase(options.database);
  try {
    const queries = new CatalogQueries(db);
    const pairs = queries.listImagesWithBundles().filter((p) => options.bundle === undefined || p.bundle === options.bundle);
    if (options.bundle !== undefined && pairs.length === 0) {
      const exists = db.exec('SELECT 1 FROM operatorbundle WHERE name = ?', [options.bundle]).length > 0;
      if (!exists) throw new NotFoundError(`no bundle named ${options.bundle} in ${options.database}`);
    }
    return normalizeImages(pairs);
  } finally {
    db.close();
  }
}

/** Normalizes (image, bundle) pairs into a sorted unique list plus the invalid strings. */
export function normalizeImages(pairs: readonly { image: string; bundle: string }[]): ListImagesResult {
  const images = new Set<string>();
  const invalid = new Map<string, InvalidImage>();
  for (const { image, bundle } of pairs) {
    try {
      images.add(normalizeReference(image));
    } catch (err) {
      if (!(err instanceof ReferenceError)) throw err;
      const entry = invalid.get(image) ?? { image, reason: err.message, bundles: [] };
      if (!entry.bundles.includes(bundle)) entry.bundles.push(bundle);
      invalid.set(image, entry);
    }
  }
  return {
    images: [...images].sort(),
    invalid: [...invalid.values()].map((i) => ({ ...i, bundles: i.bundles.sort() })).sort((a, b) => (a.image < b.image ? -1 : 1)),
  };
}
