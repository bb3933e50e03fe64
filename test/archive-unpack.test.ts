/**
 * `ferry unpack`: an archive's volumes into a folder that other tools read: sha256sum -c passes in
 * it, skopeo reads and copies every image out of it as an OCI layout by its source reference with
 * the packed bytes. A damaged volume, a non-empty target, a missing signature: refused, nothing
 * left behind, existing files untouched.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { generateKeyPair } from '../src/archive/signing.js';
import { removeOnExit } from './helpers/cleanup.js';
import { ferryAsync } from './helpers/cli.js';
import { flipByte } from './helpers/damage.js';
import { runChecked } from './helpers/exec.js';
import { sha256Digest, skopeoCopy, skopeoInspectRaw } from './helpers/fixtures.js';
import { tempDir } from './helpers/paths.js';
import { buildTestArchive, type TestArchive } from './helpers/test-archive.js';

function temp(): string {
  const dir = tempDir('ferry-unpack-');
  removeOnExit(dir);
  return dir;
}

const keys = generateKeyPair();
let archive: TestArchive;

before(async () => {
  archive = await buildTestArchive({ volumeSize: 1024 * 1024, signKey: keys.privateKeyPem });
});

describe('ferry unpack', () => {
  it('writes a folder that sha256sum and skopeo read: every image by its source reference, the packed bytes', async () => {
    const parent = temp();
    const dir = path.join(parent, 'out');
    const keyFile = path.join(parent, 'key.pub');
    writeFileSync(keyFile, keys.publicKeyPem);
    const r = await ferryAsync(['unpack', archive.first, dir, '--key', keyFile, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json!.result.identity, archive.identity);
    assert.equal(r.json!.result.signature, 'valid');
    assert.deepEqual(readdirSync(parent).sort(), ['key.pub', 'out'], 'no staging folder left');
    assert.deepEqual(readdirSync(dir).sort(), ['blobs', 'catalog', 'checksums.sha256', 'checksums.sha256.sig', 'ferry-archive.json', 'index.json', 'manifests', 'oci-layout']);
    const check = await runChecked('sha256sum', ['--strict', '-c', 'checksums.sha256'], { cwd: dir });
    assert.ok(!/FAILED|WARNING/.test(check.stdout + check.stderr), check.stdout);
    assert.equal(sha256Digest(readFileSync(path.join(dir, 'checksums.sha256'))), archive.identity);
    for (const [fixture, source] of Object.entries(archive.sources)) {
      const image = archive.layout.images[fixture as 'app'];
      assert.deepEqual(await skopeoInspectRaw(`oci:${dir}:${source}`), archive.layout.blob(image.digest), source);
    }
    const copied = temp();
    const digest = await skopeoCopy(`oci:${dir}:${archive.sources.multi}`, `oci:${copied}:multi`, { all: true });
    assert.equal(digest, archive.layout.images.multi.digest);
    assert.ok(readFileSync(path.join(dir, 'manifests', 'mapping.txt'), 'utf8').includes(`${archive.sources.big}=`));
  });

  it('refuses a damaged volume: nothing is left behind', async () => {
    const parent = temp();
    const copies = archive.files.map((f) => {
      const to = path.join(parent, path.basename(f));
      copyFileSync(f, to);
      return to;
    });
    flipByte(copies[copies.length - 2]!, 700 * 1024);
    const dir = path.join(parent, 'out');
    const r = await ferryAsync(['unpack', copies[0]!, dir, '--json']);
    assert.equal(r.status, 6, r.stderr);
    assert.match(r.json!.error.message, /digest|sha256/);
    assert.equal(existsSync(dir), false);
    assert.deepEqual(readdirSync(parent).filter((n) => n.startsWith('.')), [], 'no staging folder left');
  });

  it('refuses a non-empty folder and an unsigned archive with --key, touching nothing', async () => {
    const parent = temp();
    const dir = path.join(parent, 'out');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'mine.txt'), 'keep me\n');
    const r = await ferryAsync(['unpack', archive.first, dir, '--json']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.json!.error.message, /not empty/);
    assert.deepEqual(readdirSync(dir), ['mine.txt']);

    const unsigned = await buildTestArchive();
    const keyFile = path.join(parent, 'key.pub');
    writeFileSync(keyFile, keys.publicKeyPem);
    const s = await ferryAsync(['unpack', unsigned.first, path.join(parent, 'new'), '--key', keyFile, '--json']);
    assert.equal(s.status, 6, s.stderr);
    assert.equal(s.json!.error.code, 'ARCHIVE_DAMAGED');
    assert.equal(s.json!.error.kind, 'SIGNATURE');
    assert.equal(existsSync(path.join(parent, 'new')), false);
  });
});
