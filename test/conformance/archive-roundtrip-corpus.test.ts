/**
 * The pack → verify → push round trip on two real registries (helpers/roundtrip-checks) with three
 * shared-corpus packages whose images are made to exist (test/conformance/corpus-images). The main
 * suite runs the same with synthetic packages (test/archive-roundtrip.test.ts).
 */
import { after, before, test } from 'node:test';
import { buildFixtureLayout, skopeoCopy } from '../helpers/fixtures.js';
import type { ImageFixture } from '../helpers/package-images.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { checkRoundTrip } from '../helpers/roundtrip-checks.js';
import { buildCorpusFixture } from './corpus-images.js';

const CORPUS_PACKAGES = ['kubemod', 'sealed-secrets-operator-helm', 'xrootd-operator'];

let source: TestRegistry;
let mirror: TestRegistry;
let fixture: ImageFixture;

before(async () => {
  [source, mirror] = await Promise.all([startRegistry({ auth: 'token' }), startRegistry({ auth: 'htpasswd', tls: true })]);
  const layout = await buildFixtureLayout();
  await skopeoCopy(layout.images.base.layoutRef, `docker://${source.host}/opm:latest`, { dest: source });
  fixture = await buildCorpusFixture(CORPUS_PACKAGES, source);
});

after(async () => {
  await Promise.all([source?.stop(), mirror?.stop()]);
});

test('pack from SOURCE (token auth) → read-only volumes → verify → push to MIRROR (htpasswd, TLS): same bytes, catalog readable, manifests valid', async () => {
  await checkRoundTrip(source, mirror, fixture);
});
