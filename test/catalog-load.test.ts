/**
 * Every package of the synthetic corpus (helpers/synthetic-corpus.ts: both layouts, multi-CSV and flat
 * folders, every image source, implied default channels, replaces and semver bundle packages) loads,
 * except the one with malformed dependencies.yaml, and the database's ListImages / GetImagesForBundle,
 * heads and defaults are what opm's rules give. The conformance suite runs the same checks over the
 * shared corpus (test/conformance/corpus.test.ts).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { loadManifests } from '../src/catalog/load.js';
import { createDatabase } from '../src/catalog/sqlite/database.js';
import { writePackages } from '../src/catalog/sqlite/writer.js';
import { describeCatalogLoad } from './helpers/expected-catalog.js';
import { SYNTHETIC_BROKEN, writeSyntheticCorpus } from './helpers/synthetic-corpus.js';

const corpus = writeSyntheticCorpus();

describeCatalogLoad('synthetic corpus', { root: corpus.root, expected: corpus.expected, malformed: SYNTHETIC_BROKEN });

it('kv, metrics and flat give one related_image row per distinct image of each CSV, Docker Hub short names as written', async () => {
  const loaded = await loadManifests(['kv', 'metrics', 'flat'].map((p) => corpus.packageDir(p)));
  const small = await createDatabase();
  writePackages(small, loaded.catalog.packages);
  // kv: 1 + 1 + 3; metrics: 1 + 1 + 2 (operator and init container); flat: 4.
  assert.equal(small.exec('SELECT count(*) FROM related_image')[0]!.values[0]![0], 13);
  assert.deepEqual(
    small.exec("SELECT image FROM related_image WHERE operatorbundle_name LIKE 'flat%' ORDER BY image")[0]!.values.map((r) => r[0]),
    ['synthetic/flat-cluster-operator:0.11.0', 'synthetic/flat-cluster-operator:0.11.1', 'synthetic/flat-operator:0.12.1', 'synthetic/flat-operator:0.12.2'],
  );
  small.close();
});
