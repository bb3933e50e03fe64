/**
 * Faults between ferry and a real registry: a proxy that cuts connections mid-blob (downloads and
 * uploads) and answers 500 and 429 (Retry-After) for a while. Copies complete, digests match, and
 * nothing half-written is left.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { copyImages } from '../src/oci/operations/copy-images.js';
import { startFaultProxy, type FaultProxy } from './helpers/fault-proxy.js';
import { buildFixtureLayout, pushFixtures, sha256Digest, skopeoInspectRaw, type FixtureLayout } from './helpers/fixtures.js';
import { startRegistry, type TestRegistry } from './helpers/registry.js';
import { tempDir } from './helpers/paths.js';

let layout: FixtureLayout;
let registry: TestRegistry;
let proxy: FaultProxy;

before(async () => {
  layout = await buildFixtureLayout();
  registry = await startRegistry({ auth: 'none' });
  await pushFixtures(layout, registry, 'src', { names: ['big', 'app', 'multi'] });
  proxy = await startFaultProxy(registry);
});

after(async () => {
  await proxy.stop();
  await registry.stop();
});

function leftovers(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.tmp$|ferry-/.test(e.name))
    .map((e) => e.name);
}

describe('downloads', () => {
  test('cut connections continue with Range; 500s and 429s are retried', async () => {
    proxy.reset();
    proxy.cutBlobDownloads(3);
    proxy.failWith(500, 2, {}, { method: 'GET', path: /\/blobs\// });
    proxy.failWith(429, 1, { 'Retry-After': '1' }, { path: /\/manifests\// });
    const out = tempDir();
    const started = Date.now();
    const result = await copyImages([{ source: `${proxy.host}/src/big:1.0`, destination: `oci:${out}:big` }], { failFast: true });
    assert.equal(result.images[0]?.digest, layout.images.big.digest);
    assert.ok(Date.now() - started >= 1000, 'Retry-After: 1 was honoured');
    assert.equal(proxy.log.filter((e) => e.fault === 'cut-download').length, 3);
    assert.ok(proxy.log.some((e) => e.method === 'GET' && e.status === 206), 'a broken download continued with a Range request');
    assert.equal(sha256Digest(await skopeoInspectRaw(`oci:${out}:big`)), layout.images.big.digest);
    assert.deepEqual(leftovers(out), []);
  });
});

describe('uploads', () => {
  test('a failed chunk: the upload goes on from what the registry holds (GET <Location>), not from zero', async () => {
    proxy.reset();
    // A layer of 8 MiB and a little more, in 1 MiB chunks: POST, PATCH × 9, PUT. The 4th PATCH fails; 3 MiB are held.
    proxy.failWith(500, 1, {}, { method: 'PATCH', after: 3 });
    const result = await copyImages([{ source: layout.images.big.layoutRef, destination: `${proxy.host}/up/big:1.0` }], {
      failFast: true,
      destination: { chunkSize: 1024 * 1024 },
    });
    assert.equal(result.images[0]?.digest, layout.images.big.digest);
    const bigLayer = layout.images.big.layers[0]!;
    const uploadPath = proxy.log.find((e) => e.method === 'PUT' && e.path.includes(encodeURIComponent(bigLayer)))!.path.split('?')[0]!;
    const forBig = proxy.log.filter((e) => e.path.startsWith(uploadPath));
    assert.deepEqual(forBig.filter((e) => e.method === 'GET').map((e) => e.status), [204], 'asked the registry how much it holds');
    const layerSize = layout.blob(bigLayer).length;
    const chunks = Math.ceil(layerSize / (1024 * 1024));
    assert.equal(forBig.filter((e) => e.method === 'PATCH' && e.status === 202).length, chunks, 'each MiB sent once: the upload continued at 3 MiB');
    assert.equal(forBig.filter((e) => e.method === 'PATCH' && e.status === 500).length, 1);
    assert.equal(sha256Digest(await skopeoInspectRaw(`docker://${registry.host}/up/big:1.0`, registry)), layout.images.big.digest);
  });

  test('a chunk cut mid-body: distribution drops the session, a new one completes the blob', async () => {
    proxy.reset();
    proxy.cutUploads(2);
    const result = await copyImages([{ source: layout.images.big.layoutRef, destination: `${proxy.host}/cut/big:1.0` }], {
      failFast: true,
      destination: { chunkSize: 1024 * 1024 },
    });
    assert.equal(result.images[0]?.digest, layout.images.big.digest);
    assert.ok(proxy.log.filter((e) => e.fault === 'cut-upload').length === 2);
    assert.equal(sha256Digest(await skopeoInspectRaw(`docker://${registry.host}/cut/big:1.0`, registry)), layout.images.big.digest);
  });

  test('a monolithic upload cut mid-body, and 500 on the final PUT, are retried', async () => {
    proxy.reset();
    proxy.cutUploads(1);
    proxy.failWith(500, 1, {}, { method: 'PUT', path: /\/blobs\/uploads\// });
    const result = await copyImages([{ source: layout.images.app.layoutRef, destination: `${proxy.host}/mono/app:1.0` }], { failFast: true });
    assert.equal(result.images[0]?.digest, layout.images.app.digest);
    assert.ok(proxy.log.some((e) => e.fault === 'cut-upload'));
    assert.equal(sha256Digest(await skopeoInspectRaw(`docker://${registry.host}/mono/app:1.0`, registry)), layout.images.app.digest);
  });

  test('whole index through faults, registry to registry', async () => {
    proxy.reset();
    proxy.cutBlobDownloads(2);
    proxy.failWith(503, 2, { 'Retry-After': '0' });
    const result = await copyImages([{ source: `${proxy.host}/src/multi:1.0`, destination: `${proxy.host}/copy/multi:1.0` }], { failFast: true });
    assert.equal(result.images[0]?.digest, layout.images.multi.digest);
    assert.ok(result.blobs.mounted > 0, 'same registry: mounted');
    assert.equal(sha256Digest(await skopeoInspectRaw(`docker://${registry.host}/copy/multi:1.0`, registry)), layout.images.multi.digest);
  });

  test('retries end: a registry that keeps failing gives a clear error, and a layout keeps nothing half-written', async () => {
    proxy.reset();
    proxy.failWith(500, 100, {}, { method: 'GET', path: /\/blobs\// });
    const out = tempDir();
    await assert.rejects(
      copyImages([{ source: `${proxy.host}/src/app:1.0`, destination: `oci:${out}:app` }], { failFast: true }),
      (e: Error & { code: string }) => e.code === 'REGISTRY' && /answered 500/.test(e.message),
    );
    proxy.reset();
    assert.deepEqual(leftovers(out), []);
    assert.ok(!existsSync(path.join(out, 'blobs', 'sha256', layout.images.app.layers[1]!.slice(7))));
  });
});
