/**
 * Every package of the shared corpus loads (bundles/eventing-kogito without its malformed
 * dependencies.yaml, as opm loads it), and the database's ListImages / GetImagesForBundle equal what expected.json implies under
 * opm's rule: relatedImages ∪ containers ∪ initContainers (not the containerImage annotation), plus ''
 * where a relatedImages entry has no image (opm stores the empty string). The same checks run in the
 * main suite over the synthetic corpus (test/catalog-load.test.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { loadManifests } from '../../src/catalog/load.js';
import { createDatabase } from '../../src/catalog/sqlite/database.js';
import { writePackages } from '../../src/catalog/sqlite/writer.js';
import { describeCatalogLoad, type ExpectedCatalog } from '../helpers/expected-catalog.js';
import { corpusDir } from './shared-paths.js';

const expected = JSON.parse(readFileSync(path.join(corpusDir, 'expected.json'), 'utf8')) as ExpectedCatalog;

describeCatalogLoad('shared corpus', {
  root: corpusDir,
  expected,
  malformed: {
    key: 'bundles/eventing-kogito',
    files: ['bundles/eventing-kogito/1.1.0/metadata/dependencies.yaml', 'bundles/eventing-kogito/1.2.0/metadata/dependencies.yaml'],
    message: /malformed YAML at line 22, column 12/,
  },
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
