/**
 * `ferry pack` end to end on real corpus packages whose every image exists: copies of three small
 * shared-corpus packages, each image reference rewritten to a synthetic image in the test registry
 * (test/conformance/corpus-images). The main suite does the same with synthetic packages
 * (test/archive-pack-e2e.test.ts).
 */
import { after, before, test } from 'node:test';
import { buildFixtureLayout, skopeoCopy } from '../helpers/fixtures.js';
import { checkPackOfFixture } from '../helpers/pack-checks.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { buildCorpusFixture } from './corpus-images.js';

/** Small corpus packages covering relatedImages, containers, initContainers, tags, digests, tag+digest and a containerImage-only reference. */
const CORPUS_PACKAGES = ['kubemod', 'sealed-secrets-operator-helm', 'xrootd-operator'];

let registry: TestRegistry;

before(async () => {
  const layout = await buildFixtureLayout();
  registry = await startRegistry({ auth: 'none' });
  await skopeoCopy(layout.images.base.layoutRef, `docker://${registry.host}/opm:latest`, { dest: registry });
});

after(async () => registry.stop());

test('corpus packages with real images: built, packed, and the archive read by tar, sha256sum and skopeo', async () => {
  await checkPackOfFixture(registry, await buildCorpusFixture(CORPUS_PACKAGES, registry));
});
