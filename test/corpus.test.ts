/**
 * Every package of the shared corpus loads (except bundles/eventing-kogito, whose dependencies.yaml is
 * malformed), and the database's ListImages / GetImagesForBundle equal what expected.json implies under
 * opm's rule: relatedImages ∪ containers ∪ initContainers (not the containerImage annotation), plus ''
 * where a relatedImages entry has no image (opm stores the empty string).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadManifests } from '../src/catalog/load.js';
import { createDatabase, type Database } from '../src/catalog/sqlite/database.js';
import { CatalogQueries } from '../src/catalog/sqlite/queries.js';
import { writePackages } from '../src/catalog/sqlite/writer.js';
import { InvalidInputError } from '../src/errors.js';
import { corpusDir } from './conformance/shared-paths.js';

interface ExpectedCsv {
  images: string[];
  imagesBySource: Record<string, string[]>;
  notes?: string[];
}
interface ExpectedPackage {
  layout: string;
  packageName: string;
  defaultChannel: string | null;
  defaultChannelImplied?: string;
  channels: Record<string, { head: string; members: string[] }>;
  csvNames: string[];
  csvs: Record<string, ExpectedCsv>;
}
const expected = JSON.parse(readFileSync(path.join(corpusDir, 'expected.json'), 'utf8')) as { packages: Record<string, ExpectedPackage> };

/** The images opm records for a CSV, derived from expected.json's per-source fields. */
function opmImages(csv: ExpectedCsv): string[] {
  const s = csv.imagesBySource;
  const set = new Set([...(s['relatedImages'] ?? []), ...(s['containers'] ?? []), ...(s['initContainers'] ?? [])]);
  if ((csv.notes ?? []).some((n) => n.startsWith('relatedImages entry without image'))) set.add('');
  return [...set].sort();
}

const BROKEN = 'bundles/eventing-kogito';
const roots = [
  ...readdirSync(path.join(corpusDir, 'package-manifests')).map((d) => path.join(corpusDir, 'package-manifests', d)),
  ...readdirSync(path.join(corpusDir, 'bundles'))
    .filter((d) => `bundles/${d}` !== BROKEN)
    .map((d) => path.join(corpusDir, 'bundles', d)),
];

describe('shared corpus', () => {
  let db: Database;
  let q: CatalogQueries;
  let notes: string[];
  before(async () => {
    const loaded = await loadManifests(roots);
    notes = loaded.notes;
    db = await createDatabase();
    writePackages(db, loaded.catalog.packages);
    q = new CatalogQueries(db);
  });
  after(() => db.close());

  it('loads every package but eventing-kogito', () => {
    const want = Object.values(expected.packages)
      .filter((p) => p !== expected.packages[BROKEN])
      .map((p) => p.packageName)
      .sort();
    assert.deepEqual(q.listPackages().sort(), want);
  });

  for (const [key, pkg] of Object.entries(expected.packages)) {
    if (key === BROKEN) continue;
    it(`${key}: every CSV is stored with opm's images, heads and default channel`, () => {
      const stored = q.getBundlesForPackage(pkg.packageName).map((b) => b.name);
      for (const csvName of pkg.csvNames) {
        assert.ok(stored.includes(csvName), `${csvName} is in a channel of ${pkg.packageName}`);
        assert.deepEqual(q.getImagesForBundle(csvName).sort(), opmImages(pkg.csvs[csvName]!), `images of ${csvName}`);
      }
      assert.deepEqual(q.listChannels(pkg.packageName).sort(), Object.keys(pkg.channels).sort());
      for (const [channel, c] of Object.entries(pkg.channels)) {
        assert.equal(q.getCurrentCSVNameForChannel(pkg.packageName, channel), c.head, `head of ${channel}`);
      }
      const wantDefault = pkg.defaultChannel && pkg.channels[pkg.defaultChannel] ? pkg.defaultChannel : (pkg.defaultChannelImplied ?? Object.keys(pkg.channels)[0]);
      assert.equal(q.getDefaultChannel(pkg.packageName), wantDefault);
    });
  }

  it('ListImages is the union of every CSV image under opm rule', () => {
    const want = new Set<string>();
    for (const [key, pkg] of Object.entries(expected.packages)) {
      if (key === BROKEN) continue;
      for (const csv of Object.values(pkg.csvs)) for (const i of opmImages(csv)) want.add(i);
    }
    assert.deepEqual(q.listImages().sort(), [...want].sort());
  });

  it('says which mode each bundle package was built in', () => {
    for (const [key, pkg] of Object.entries(expected.packages)) {
      if (pkg.layout !== 'bundle' || key === BROKEN) continue;
      assert.ok(notes.some((n) => n.startsWith(`package ${pkg.packageName}: `) && /(replaces|semver) mode/.test(n)), pkg.packageName);
    }
  });

  it("operator-registry's own manifests give exactly 12 related_image rows", async () => {
    const loaded = await loadManifests(['etcd', 'prometheus', 'strimzi-kafka-operator'].map((p) => path.join(corpusDir, 'package-manifests', p)));
    const small = await createDatabase();
    writePackages(small, loaded.catalog.packages);
    assert.equal(small.exec('SELECT count(*) FROM related_image')[0]!.values[0]![0], 12);
    assert.deepEqual(
      small.exec("SELECT image FROM related_image WHERE operatorbundle_name LIKE 'strimzi%' AND image LIKE 'strimzi/%' ORDER BY image")[0]!.values.map((r) => r[0]),
      ['strimzi/cluster-operator:0.11.0', 'strimzi/cluster-operator:0.11.1', 'strimzi/operator:0.12.1', 'strimzi/operator:0.12.2'],
    );
    small.close();
  });

  it('eventing-kogito: the malformed dependencies.yaml is named with its line and column', async () => {
    await assert.rejects(loadManifests([path.join(corpusDir, BROKEN)]), (err: unknown) => {
      assert.ok(err instanceof InvalidInputError);
      const files = err.problems.map((p) => path.relative(corpusDir, p.file)).sort();
      assert.deepEqual(files, ['bundles/eventing-kogito/1.1.0/metadata/dependencies.yaml', 'bundles/eventing-kogito/1.2.0/metadata/dependencies.yaml']);
      for (const p of err.problems) assert.match(p.message, /malformed YAML at line 22, column 12/);
      return true;
    });
  });
});
