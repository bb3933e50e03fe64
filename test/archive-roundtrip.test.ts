/**
 * The whole story on two real registries, as users run it (bin/run.js):
 *
 *   SOURCE (docker-registry, token auth): fixture images for the images of three synthetic packages,
 *   and a catalog built from those packages by ferry.
 *   → ferry pack (volumes) → the volumes copied to another folder made read-only → ferry verify
 *   → ferry push to MIRROR (docker-registry, htpasswd auth, TLS with a test CA).
 *
 * Then, with independent tools and ferry's own reader: every image of the archive is on MIRROR, by
 * digest, with SOURCE's exact bytes (skopeo inspect --raw on both); ferry registry images reads the
 * catalog back from MIRROR and every image it lists is on MIRROR under the name mapping.txt gives
 * it; every cluster manifest push wrote validates against the CRD schemas and names MIRROR
 * (helpers/roundtrip-checks; the conformance suite runs it on shared-corpus packages).
 */
import { after, before, test } from 'node:test';
import { buildFixtureLayout, skopeoCopy } from './helpers/fixtures.js';
import { buildImageFixture, type ImageFixture } from './helpers/package-images.js';
import { startRegistry, type TestRegistry } from './helpers/registry.js';
import { checkRoundTrip } from './helpers/roundtrip-checks.js';
import { writeSyntheticCorpus } from './helpers/synthetic-corpus.js';

/** Digest, tag+digest, tag and Docker Hub short-name references; nested, multi-CSV and flat folders. */
const PACKAGES = ['kv', 'flat', 'pinned'];

let source: TestRegistry;
let mirror: TestRegistry;
let fixture: ImageFixture;

before(async () => {
  [source, mirror] = await Promise.all([startRegistry({ auth: 'token' }), startRegistry({ auth: 'htpasswd', tls: true })]);
  const layout = await buildFixtureLayout();
  await skopeoCopy(layout.images.base.layoutRef, `docker://${source.host}/opm:latest`, { dest: source });
  const corpus = writeSyntheticCorpus();
  fixture = await buildImageFixture(PACKAGES.map((p) => corpus.packageDir(p)), source);
});

after(async () => {
  await Promise.all([source?.stop(), mirror?.stop()]);
});

test('pack from SOURCE (token auth) → read-only volumes → verify → push to MIRROR (htpasswd, TLS): same bytes, catalog readable, manifests valid', async () => {
  await checkRoundTrip(source, mirror, fixture);
});
