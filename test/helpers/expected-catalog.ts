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
  /**
   * The one package (`bundles/<pkg>`) whose metadata/dependencies.yaml is malformed: opm ignores such a
   * file and loads the bundle, so ferry does too and warns naming each file.
   */
  malformed: { key: string; files: string[]; message: RegExp };
}

/**
 * Every package loads; the database's ListImages / GetImagesForBundle, heads and default channels
 * equal what `expected` says under opm's rules; each bundle package's mode is named; the package
 * with malformed dependencies files loads without them, with a warning naming each file's line and column.
 */
export function describeCatalogLoad(title: string, c: CatalogUnderTest): void {
  describe(title, () => {
    let db: Database;
    let q: CatalogQueries;
    let notes: string[];
    before(async () => {
      const roots = [
        ...readdirSync(path.join(c.root, 'package-manifests')).map((d) => path.join(c.root, 'package-manifests', d)),
        ...readdirSync(path.join(c.root, 'bundles')).map((d) => path.join(c.root, 'bundles', d)),
      ];
      const loaded = await loadManifests(roots);
      notes = loaded.notes;
      db = await createDatabase();
      writePackages(db, loaded.catalog.packages);
      q = new CatalogQueries(db);
    });
    after(() => db?.close());

    it('loads every package', () => {
      const want = Object.values(c.expected.packages)
        .map((p) => p.packageName)
        .sort();
      assert.deepEqual(q.listPackages().sort(), want);
    });

    for (const [key, pkg] of Object.entries(c.expected.packages)) {
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
      for (const pkg of Object.values(c.expected.packages)) {
        for (const csv of Object.values(pkg.csvs)) for (const i of opmImages(csv)) want.add(i);
      }
      assert.deepEqual(q.listImages().sort(), [...want].sort());
    });

    it('says which mode each bundle package was built in', () => {
      for (const pkg of Object.values(c.expected.packages)) {
        if (pkg.layout !== 'bundle') continue;
        assert.ok(notes.some((n) => n.startsWith(`package ${pkg.packageName}: `) && /(replaces|semver) mode/.test(n)), pkg.packageName);
      }
    });

    it('malformed dependencies files are ignored as opm ignores them, each named with its line and column', async () => {
      const loaded = await loadManifests([path.join(c.root, c.malformed.key)]);
      assert.equal(loaded.catalog.packages.length, 1);
      const warned = loaded.warnings.filter((w) => /is ignored and the bundle loaded without its dependencies/.test(w));
      assert.deepEqual(warned.map((w) => path.relative(c.root, w.slice(0, w.indexOf(': ')))).sort(), c.malformed.files);
      for (const w of warned) assert.match(w, c.malformed.message);
      assert.ok(loaded.catalog.packages[0]!.bundles.every((b) => b.extraDependencies.length === 0));
    });
  });
}
