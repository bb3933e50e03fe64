/**
 * Reading an archive's images in place (VolumeImageStore, openArchive): one file and volumes with
 * a blob in pieces give the same manifests and blob bytes as the layout they were packed from;
 * reads from an offset join pieces; damage is caught as the blob ends.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { openArchive } from '../src/archive/read/open-archive.js';
import { REF_NAME_ANNOTATION } from '../src/oci/descriptor.js';
import { buildTestArchive, type TestArchive } from './helpers/test-archive.js';

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

for (const volumeSize of [undefined, 1024 * 1024]) {
  describe(`archive images read in place (${volumeSize ? '1 MiB volumes' : 'one file'})`, () => {
    let archive: TestArchive;
    before(async () => {
      archive = await buildTestArchive(volumeSize ? { volumeSize } : {});
    });

    it('names every image by its source reference, with the packed bytes', async () => {
      const opened = await openArchive(archive.first);
      assert.equal(opened.identity, archive.identity);
      assert.equal(opened.files.length, archive.files.length);
      assert.deepEqual((await opened.store.listTags('')).sort(), Object.values(archive.sources).sort());
      for (const [name, source] of Object.entries(archive.sources)) {
        const raw = await opened.store.getManifest('', source);
        assert.equal(raw.digest, archive.layout.images[name as 'app'].digest, source);
        assert.deepEqual(raw.bytes, archive.layout.blob(raw.digest));
      }
      const index = JSON.parse(readFileSync(path.join(archive.sourceLayout, 'index.json'), 'utf8')) as { manifests: Array<{ annotations: Record<string, string> }> };
      assert.equal(index.manifests.filter((m) => m.annotations[REF_NAME_ANNOTATION] !== undefined).length, 4);
    });

    it('streams a blob whole (verified) and from an offset across pieces', async () => {
      const opened = await openArchive(archive.first);
      const digest = archive.layout.images.big.layers[0]!;
      const expected = archive.layout.blob(digest);
      const descriptor = { mediaType: 'application/octet-stream', digest, size: expected.length };
      assert.ok(await opened.store.hasBlob('', descriptor));
      assert.deepEqual(await readAll(await opened.store.getBlob('', descriptor)), expected);
      const start = 3 * 1024 * 1024 + 17;
      assert.deepEqual(await readAll(await opened.store.getBlobFrom('', descriptor, start)), expected.subarray(start));
      assert.equal(await opened.store.hasBlob('', { ...descriptor, size: 1 }), false);
      await assert.rejects(opened.store.putBlob('', descriptor, { open: async () => { throw new Error('unused'); } }), /read-only/);
    });
  });
}
