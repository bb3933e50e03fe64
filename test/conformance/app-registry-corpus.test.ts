/**
 * The App Registry client against the test App Registry serving real operators from the shared
 * corpus: nested and flattened blobs download, extract and load with loadManifests as expected.json
 * says, flattened files stay byte for byte, pinned releases are taken. The main suite does the same
 * (and every failure case) with synthetic packages (test/app-registry.test.ts).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { downloadAppRegistry } from '../../src/catalog/appregistry/index.js';
import { loadManifests } from '../../src/catalog/load.js';
import { checkNamespaceDownload, workDir } from '../helpers/app-registry-checks.js';
import { startAppRegistryServer, type AppRegistryServer } from '../helpers/app-registry-server.js';
import type { ExpectedCatalog } from '../helpers/expected-catalog.js';
import { CORPUS_APP_REGISTRY_PACKAGES } from './corpus-app-registry.js';
import { corpusDir } from './shared-paths.js';

const expected = JSON.parse(readFileSync(path.join(corpusDir, 'expected.json'), 'utf8')) as ExpectedCatalog;

describe('App Registry download (shared corpus)', () => {
  let server: AppRegistryServer;
  before(async () => {
    server = await startAppRegistryServer({ packages: [...CORPUS_APP_REGISTRY_PACKAGES] });
  });
  after(async () => {
    await server.stop();
  });

  it('downloads a namespace of nested and flattened packages that loadManifests loads as expected.json says', async () => {
    await checkNamespaceDownload(server, expected);
  });

  it('keeps flattened files byte for byte, also when their data keys lie beyond the first 64 KiB (CRDs first)', async () => {
    const { dir } = workDir();
    const result = await downloadAppRegistry({ endpoint: server.url, namespace: server.namespace, authToken: server.token!, packages: ['kubeturbo', 'dell-csi-operator'] }, dir);
    const served = (repo: string): string => server.packages.find((p) => p.repo === repo)!.releases[0]!.flattened!;
    assert.equal(readFileSync(path.join(dir, 'kubeturbo', 'bundle.yaml'), 'utf8'), served('kubeturbo'));
    // As served, dell-csi-operator's CRDs (over 64 KiB) come first; the loader still finds the file.
    assert.ok(served('dell-csi-operator').indexOf('clusterServiceVersions:') > 64 * 1024);
    assert.equal(readFileSync(path.join(dir, 'dell-csi-operator', 'bundle.yaml'), 'utf8'), served('dell-csi-operator'));
    const loaded = await loadManifests(result.roots);
    assert.deepEqual(loaded.catalog.packages.map((p) => [p.name, p.bundles.length]), [['dell-csi-operator', 5], ['kubeturbo', 6]]);
  });

  it('takes a pinned release (repo:release) and the default release of an unpinned repository', async () => {
    const { dir } = workDir();
    server.reset();
    const result = await downloadAppRegistry(
      { endpoint: server.url, namespace: server.namespace, authToken: server.token!, packages: ['sealed-secrets-operator-helm:0.0.1', 'lib-bucket-provisioner:1.0.0', 'etcd'] },
      dir,
    );
    const digestOf = (repo: string, release: string): string => `sha256:${server.packages.find((p) => p.repo === repo)!.releases.find((r) => r.release === release)!.digest}`;
    assert.deepEqual(
      result.packages.map((p) => [p.name, p.release, p.layout, p.digest]),
      [
        ['etcd', '0.9.2', 'nested', digestOf('etcd', '0.9.2')],
        ['sealed-secrets-operator-helm', '0.0.1', 'nested', digestOf('sealed-secrets-operator-helm', '0.0.1')],
        ['lib-bucket-provisioner', '1.0.0', 'flattened', digestOf('lib-bucket-provisioner', '1.0.0')],
      ],
    );
    assert.deepEqual(readdirSync(dir).sort(), ['etcd', 'lib-bucket-provisioner', 'sealed-secrets-operator-helm']);
    const loaded = await loadManifests(result.roots);
    const summary = Object.fromEntries(loaded.catalog.packages.map((p) => [p.name, { heads: p.channels.map((c) => `${c.name}=${c.head}`), bundles: p.bundles.map((b) => b.name).sort() }]));
    assert.deepEqual(summary, {
      etcd: { heads: ['alpha=etcdoperator.v0.9.2', 'beta=etcdoperator.v0.9.0', 'stable=etcdoperator.v0.9.2'], bundles: ['etcdoperator.v0.6.1', 'etcdoperator.v0.9.0', 'etcdoperator.v0.9.2'] },
      'lib-bucket-provisioner': { heads: ['alpha=lib-bucket-provisioner.v1.0.0'], bundles: ['lib-bucket-provisioner.v1.0.0'] },
      'sealed-secrets-operator-helm': { heads: ['alpha=sealed-secrets-operator-helm.v0.0.1'], bundles: ['sealed-secrets-operator-helm.v0.0.1'] },
    });
    const releasePaths = server.requests.filter((r) => r.path.endsWith('/helm')).map((r) => r.path);
    assert.deepEqual(releasePaths, [
      `/cnr/api/v1/packages/${server.namespace}/etcd/0.9.2/helm`,
      `/cnr/api/v1/packages/${server.namespace}/sealed-secrets-operator-helm/0.0.1/helm`,
      `/cnr/api/v1/packages/${server.namespace}/lib-bucket-provisioner/1.0.0/helm`,
    ]);
  });
});
