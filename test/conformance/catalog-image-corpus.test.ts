/**
 * registry build (catalog image) of shared-corpus packages and bundles, on a real registry, checked
 * by skopeo, umoci and sqlite3. The main suite runs these (and the rest) on synthetic packages
 * (test/catalog-image.test.ts).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pushUmociImage } from '../helpers/catalog-fixtures.js';
import { checkPushedCatalog, startCatalogFixture } from '../helpers/catalog-image-checks.js';
import { ferryAsync } from '../helpers/cli.js';
import { runChecked } from '../helpers/exec.js';
import { tempDir } from '../helpers/paths.js';
import type { TestRegistry } from '../helpers/registry.js';
import { corpusDir } from './shared-paths.js';

const PACKAGES = ['argocd-operator', 'camel-k', 'etcd'].map((p) => path.join(corpusDir, 'package-manifests', p));
let registry: TestRegistry;
let expectedImages: string[];

before(async () => {
  ({ registry, expectedImages } = await startCatalogFixture(PACKAGES));
});

after(async () => registry.stop());

describe('catalog images of shared-corpus packages', () => {
  test('pushed catalog: labels, entrypoint, cmd, port; database schema 13; same images as the database; reproducible', async () => {
    await checkPushedCatalog(registry, PACKAGES, `${registry.host}/opm:latest`, expectedImages);
  });

  test('--bundles: bundle images (made by umoci) are pulled and unpacked; each image becomes a related image', async () => {
    const versions = ['1.1.0', '1.10.0'];
    const refs: string[] = [];
    for (const v of versions) {
      const ref = `${registry.host}/bundles/kiali:${v}`;
      await pushUmociImage({ files: path.join(corpusDir, 'bundles', 'kiali', v), at: '/', labels: { 'operators.operatorframework.io.bundle.package.v1': 'kiali' }, destination: `docker://${ref}`, skopeoFlags: ['--dest-tls-verify=false'] });
      refs.push(ref);
    }
    const out = tempDir();
    const r = await ferryAsync(['registry', 'build', '--bundles', refs.join(','), '--db-only', '--save', out, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json!.result.bundles, 2);
    const bundlePaths = await runChecked('sqlite3', [path.join(out, 'index.db'), 'SELECT bundlepath FROM operatorbundle ORDER BY bundlepath']);
    assert.deepEqual(bundlePaths.stdout.trim().split('\n'), refs.sort());
    const images = await ferryAsync(['registry', 'images', '--from-db', path.join(out, 'index.db'), '--json']);
    for (const ref of refs) assert.ok(images.json!.result.images.includes(ref), `${ref} is a related image`);
  });
});
