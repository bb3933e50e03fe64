/**
 * What a folder of operator manifests must load as, in the shape of the shared corpus's expected.json
 * (the fields the tests read), and the load checks both suites run over such a folder: the main suite
 * over the synthetic corpus (helpers/synthetic-corpus.ts), the conformance suite over the shared one.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadManifests } from '../../src/catalog/load.js';
import { createDatabase, type Database } from '../../src/catalog/sqlite/database.js';
import { CatalogQueries } from '../../src/catalog/sqlite/queries.js';
import { writePackages } from '../../src/catalog/sqlite/writer.js';
import { InvalidInputError } from '../../src/errors.js';

export interface ExpectedCsv {
  images: string[];
  imagesBySource: Record<string, string[]>;
  notes?: string[];
}
export interface ExpectedPackage {
  layout: string;
  packageName: string;
  defaultChannel: string | null;
  defaultChannelImplied?: string;
  channels: Record<string, { head: string; members: string[] }>;
  csvNames: string[];
  csvs: Record<string, ExpectedCsv>;
}
export interface ExpectedCatalog {
  packages: Record<string, ExpectedPackage>;
}

/** The images opm records for a CSV, derived from the per-source fields: relatedImages ∪ containers ∪ initContainers, plus '' for a relatedImages entry without image. */
export function opmImages(csv: ExpectedCsv): string[] {
  const s = csv.imagesBySource;
  const set = new Set([...(s['relatedImages'] ?? []), ...(s['containers'] ?? []), ...(s['initContainers'] ?? [])]);
  if ((csv.notes ?? []).some((n) => n.startsWith('relatedImages entry without image'))) set.add('');
  return [...set].sort();
}

export interface CatalogUnderTest {
  /** Holds package-manifests/<pkg>/ and bundles/<pkg>/<version>/. */
  root: string;
  expected: ExpectedCatalog;
  /** The one package (`bundles/<pkg>`) whose input is malformed, and how it is refused. */
  broken: { key: string; files: string[]; message: RegExp };
}

/**
 * Every package but the broken one loads; the database's ListImages / GetImagesForBundle, heads and
 * default channels equal what `expected` says under opm's rules; each bundle package's mode is named;
 * the broken package is refused naming each bad file with its line and column.
 */
export function describeCatalogLoad(title: string, c: CatalogUnderTest): void {
  describe(title, () => {
    let db: Database;
    let q: CatalogQueries;
    let notes: string[];
    before(async () => {
      const roots = [
        ...readdirSync(path.join(c.root, 'package-manifests')).map((d) => path.join(c.root, 'package-manifests', d)),
        ...readdirSync(path.join(c.root, 'bundles'))
          .filter((d) => `bundles/${d}` !== c.broken.key)
          .map((d) => path.join(c.root, 'bundles', d)),
      ];
      const loaded = await loadManifests(roots);
      notes = loaded.notes;
      db = await createDatabase();
      writePackages(db, loaded.catalog.packages);
      q = new CatalogQueries(db);
    });
    after(() => db?.close());

    it('loads every package but the broken one', () => {
      const want = Object.entries(c.expected.packages)
        .filter(([key]) => key !== c.broken.key)
        .map(([, p]) => p.packageName)
        .sort();
      assert.deepEqual(q.listPackages().sort(), want);
    });

    for (const [key, pkg] of Object.entries(c.expected.packages)) {
      if (key === c.broken.key) continue;
      it(`${key}: every CSV is stored with opm's images, heads and default channel`, () => {
        const stored = q.getBundlesForPackage(pkg.packageName).map((b) => b.name);
        for (const csvName of pkg.csvNames) {
          assert.ok(stored.includes(csvName), `${csvName} is in a channel of ${pkg.packageName}`);
          assert.deepEqual(q.getImagesForBundle(csvName).sort(), opmImages(pkg.csvs[csvName]!), `images of ${csvName}`);
        }
        assert.deepEqual(q.listChannels(pkg.packageName).sort(), Object.keys(pkg.channels).sort());
        for (const [channel, ch] of Object.entries(pkg.channels)) {
          assert.equal(q.getCurrentCSVNameForChannel(pkg.packageName, channel), ch.head, `head of ${channel}`);
        }
        const wantDefault = pkg.defaultChannel && pkg.channels[pkg.defaultChannel] ? pkg.defaultChannel : (pkg.defaultChannelImplied ?? Object.keys(pkg.channels)[0]);
        assert.equal(q.getDefaultChannel(pkg.packageName), wantDefault);
      });
    }

    it('ListImages is the union of every CSV image under opm rule', () => {
      const want = new Set<string>();
      for (const [key, pkg] of Object.entries(c.expected.packages)) {
        if (key === c.broken.key) continue;
        for (const csv of Object.values(pkg.csvs)) for (const i of opmImages(csv)) want.add(i);
      }
      assert.deepEqual(q.listImages().sort(), [...want].sort());
    });

    it('says which mode each bundle package was built in', () => {
      for (const [key, pkg] of Object.entries(c.expected.packages)) {
        if (pkg.layout !== 'bundle' || key === c.broken.key) continue;
        assert.ok(notes.some((n) => n.startsWith(`package ${pkg.packageName}: `) && /(replaces|semver) mode/.test(n)), pkg.packageName);
      }
    });

    it('the broken package: each malformed file is named with its line and column', async () => {
      await assert.rejects(loadManifests([path.join(c.root, c.broken.key)]), (err: unknown) => {
        assert.ok(err instanceof InvalidInputError);
        const files = err.problems.map((p) => path.relative(c.root, p.file)).sort();
        assert.deepEqual(files, c.broken.files);
        for (const p of err.problems) assert.match(p.message, c.broken.message);
        return true;
      });
    });
  });
}
