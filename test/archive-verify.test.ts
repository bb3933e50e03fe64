/**
 * `ferry verify` and `ferry inspect` on archives written by pack's writer from a real OCI layout
 * (umoci fixtures): an intact archive and volume set pass with evidence; each kind of damage
 * (missing volume, a volume of another archive, a truncated volume, a flipped byte in a blob, an
 * extra member, a `../` member, a changed checksums file, a wrong signature) is caught with a
 * precise message and exit 6; inspect reads only the leading metadata.
 */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { inspectArchive } from '../src/archive/inspect/inspect-archive.js';
import type { CollectResult } from '../src/archive/pack/collect-images.js';
import { writeArchive, type WrittenArchive } from '../src/archive/pack/write-archive.js';
import { generateKeyPair } from '../src/archive/signing.js';
import { verifyArchive } from '../src/archive/verify/verify-archive.js';
import { planVolumes } from '../src/archive/volumes/plan-volumes.js';
import { openVolumes } from '../src/archive/volumes/read-volumes.js';
import { writeVolumes } from '../src/archive/volumes/write-volumes.js';
import { readTarIndex } from '../src/oci/archive/tar-index.js';
import { ferryAsync } from './helpers/cli.js';
import { flipByte } from './helpers/damage.js';
import { buildFixtureLayout, type FixtureLayout } from './helpers/fixtures.js';
import { tempDir } from './helpers/paths.js';

let layout: FixtureLayout;
let collected: CollectResult;
const keys = generateKeyPair();
const otherKeys = generateKeyPair();
let keyDir: string;

before(async () => {
  layout = await buildFixtureLayout();
  const work = tempDir();
  const database = path.join(work, 'index.db');
  writeFileSync(database, 'not really a database: verify only hashes it\n');
  const image = (name: 'app' | 'big' | 'multi') => ({ source: name, digest: layout.images[name].digest, mediaType: layout.images[name].mediaType, platforms: [], bundles: [`${name}.v1`] });
  collected = {
    layoutDir: layout.dir,
    catalog: { source: 'base', digest: layout.images.base.digest, mediaType: layout.images.base.mediaType, platforms: ['linux/amd64'], bundles: [], kind: 'sqlite', database },
    packages: [{ name: 'demo', defaultChannel: 'stable', channels: [{ name: 'stable', head: 'demo.v1' }], bundles: [{ name: 'demo.v1', version: '1.0.0', bundlePath: 'bundle:1' }] }],
    images: [image('app'), image('big'), image('multi')],
    missing: [],
    invalid: [],
  };
  keyDir = tempDir();
  writeFileSync(path.join(keyDir, 'good.pub'), keys.publicKeyPem);
  writeFileSync(path.join(keyDir, 'other.pub'), otherKeys.publicKeyPem);
});

async function archive(options: { volumeSize?: number; sign?: boolean } = {}): Promise<WrittenArchive> {
  const dir = tempDir();
  return writeArchive({
    collected,
    output: path.join(dir, 'demo.tar'),
    ferryVersion: '0.0.0-test',
    ...(options.volumeSize ? { volumeSize: options.volumeSize } : {}),
    ...(options.sign ? { signKey: keys.privateKeyPem } : {}),
  });
}

/** A copy of a volume set in a fresh folder (the originals stay as pack wrote them). */
function copySet(files: readonly string[]): string[] {
  const dir = tempDir();
  return files.map((f) => {
    const to = path.join(dir, path.basename(f));
    copyFileSync(f, to);
    return to;
  });
}

/** The archive rewritten as one file with `extra` members added (listed in the volume header, not in the checksums). */
async function withExtraMembers(file: string, extra: Array<{ name: string; bytes: Buffer }>): Promise<string> {
  const set = await openVolumes(file);
  const contents = new Map<string, Buffer>();
  for (const m of set.members()) {
    const chunks: Buffer[] = [];
    for await (const c of set.openMember(m.name)) chunks.push(c as Buffer);
    contents.set(m.name, Buffer.concat(chunks));
  }
  for (const e of extra) contents.set(e.name, e.bytes);
  const plan = planVolumes([...contents.entries()].map(([name, bytes]) => ({ name, size: bytes.length })), undefined, set.archive);
  const dir = tempDir();
  const [written] = await writeVolumes(plan, { dir, baseName: 'demo', source: (name) => ({ kind: 'bytes', bytes: contents.get(name)! }) });
  return written!;
}

describe('ferry verify', () => {
  it('an intact archive: every member verified, the identity and the signature checked, evidence printed', async () => {
    const a = await archive({ sign: true });
    const report = await verifyArchive(a.files[0]!, { publicKeyFile: path.join(keyDir, 'good.pub'), requireSignature: true });
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
    assert.equal(report.identity, a.identity);
    assert.equal(report.signature, 'valid');
    assert.equal(report.verified.members, a.members, 'every member (metadata, checksums, signature, layout, catalog, manifests)');
    assert.equal(report.images, 4, 'index.json names the catalog and three images');
    assert.ok(report.verified.bytes > 8 * 1024 * 1024, 'the 8 MiB layer was hashed');

    const cli = await ferryAsync(['verify', a.files[0]!, '--key', path.join(keyDir, 'good.pub')]);
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, new RegExp(`identity:  ${a.identity}`));
    assert.match(cli.stdout, /signature: valid \(key SHA256:/);
    assert.match(cli.stdout, new RegExp(`verified:  ${a.members} members`));
    assert.match(cli.stdout, /demo\.tar: intact/);
  });

  it('volumes of 1 MiB with a blob in pieces: all verified; each damage to the set is named precisely', async () => {
    const a = await archive({ volumeSize: 1024 * 1024 });
    assert.ok(a.files.length >= 9, `${a.files.length} volumes`);
    const ok = await verifyArchive(a.files[0]!);
    assert.deepEqual(ok.problems, []);
    assert.equal(ok.volumes.length, a.files.length);
    assert.ok(ok.volumes.every((v) => v.ok));
    assert.equal(ok.signature, 'unsigned');

    const missing = copySet(a.files);
    rmSync(missing[2]!);
    const r1 = await verifyArchive(missing[0]!);
    assert.equal(r1.ok, false);
    assert.match(r1.problems[0]!.message, new RegExp(`missing volume 3 of ${a.files.length}: expected .*demo\\.003\\.tar`));

    const other = await archive({ volumeSize: 1024 * 1024 }); // another `created` time: another identity
    assert.notEqual(other.identity, a.identity);
    const mixed = copySet(a.files);
    copyFileSync(other.files[1]!, mixed[1]!);
    const r2 = await verifyArchive(mixed[0]!);
    assert.match(r2.problems[0]!.message, /demo\.002\.tar belongs to another archive: its header names archive sha256:[0-9a-f]{64}, but .* is archive/);

    const truncated = copySet(a.files);
    const last = truncated[truncated.length - 1]!;
    truncateSync(last, statSync(last).size - 1536);
    const r3 = await verifyArchive(truncated[0]!);
    assert.match(r3.problems[0]!.message, /truncated/);
    assert.ok(r3.problems[0]!.message.includes(path.basename(last)));
  });

  it('a flipped byte in a blob: the member, its checksum and its digest named, the volume marked damaged; the CLI exits 6', async () => {
    const a = await archive({ volumeSize: 1024 * 1024 });
    const files = copySet(a.files);
    // The big layer's first piece, in some middle volume.
    const bigLayer = `blobs/sha256/${layout.images.big.layers[0]!.slice(7)}`;
    let hit: { file: string; offset: number; volume: number } | undefined;
    for (const [i, f] of files.entries()) {
      const entry = (await readTarIndex(f)).entries.find((e) => e.name.startsWith(bigLayer));
      if (entry !== undefined && hit === undefined) hit = { file: f, offset: entry.offset + 1000, volume: i + 1 };
    }
    assert.ok(hit);
    flipByte(hit.file, hit.offset);
    const report = await verifyArchive(files[0]!);
    assert.equal(report.ok, false);
    const kinds = report.problems.map((p) => p.kind).sort();
    assert.deepEqual(kinds, ['CHECKSUM_MISMATCH', 'DIGEST_MISMATCH']);
    for (const p of report.problems) {
      assert.equal(p.member, bigLayer);
      assert.ok(p.message.includes(path.basename(hit.file)), p.message);
    }
    assert.deepEqual(report.volumes.filter((v) => !v.ok).map((v) => v.volume).includes(hit.volume), true);

    const cli = await ferryAsync(['verify', files[0]!, '--json']);
    assert.equal(cli.status, 6);
    assert.equal(cli.json!.status, 'error');
    assert.equal(cli.json!.result.ok, false);
    const human = await ferryAsync(['verify', files[0]!]);
    assert.equal(human.status, 6);
    assert.match(human.stderr, new RegExp(`problem \\[CHECKSUM_MISMATCH\\]: member ${bigLayer}: sha256 [0-9a-f]{64}, checksums.sha256 says ${bigLayer.slice(13)}`));
    assert.match(human.stdout, /DAMAGED .*demo\.\d{3}\.tar/);
  });

  it('an extra member and a ../ member: listed as not in the checksums file and as unsafe', async () => {
    const a = await archive();
    const doctored = await withExtraMembers(a.files[0]!, [
      { name: 'extra.txt', bytes: Buffer.from('smuggled\n') },
      { name: '../evil', bytes: Buffer.from('escape\n') },
    ]);
    const report = await verifyArchive(doctored);
    const byKind = (k: string) => report.problems.filter((p) => p.kind === k).map((p) => p.message);
    assert.deepEqual(byKind('UNSAFE_PATH'), ['member "../evil": unsafe path: the path contains a ".." component']);
    assert.deepEqual(byKind('NOT_LISTED').sort(), ['member ../evil (7 bytes) is not listed in checksums.sha256', 'member extra.txt (9 bytes) is not listed in checksums.sha256']);
    assert.equal(report.problems.length, 3);
  });

  it('checksums.sha256 edited (a line dropped): the identity no longer matches the volumes, the member is not listed', async () => {
    const a = await archive();
    const set = await openVolumes(a.files[0]!);
    const chunks: Buffer[] = [];
    for await (const c of set.openMember('checksums.sha256')) chunks.push(c as Buffer);
    const edited = Buffer.from(Buffer.concat(chunks).toString('utf8').replace(/^[0-9a-f]{64}  catalog\/index\.db\n/m, ''), 'utf8');
    const doctored = await withExtraMembers(a.files[0]!, [{ name: 'checksums.sha256', bytes: edited }]);
    const report = await verifyArchive(doctored);
    assert.deepEqual(report.problems.map((p) => p.kind).sort(), ['IDENTITY_MISMATCH', 'NOT_LISTED']);
    assert.match(report.problems.find((p) => p.kind === 'IDENTITY_MISMATCH')!.message, /the checksums file was changed/);
  });

  it('signatures: another key is refused; --require-signature refuses an unsigned archive and needs --key', async () => {
    const signed = await archive({ sign: true });
    const wrong = await verifyArchive(signed.files[0]!, { publicKeyFile: path.join(keyDir, 'other.pub') });
    assert.equal(wrong.signature, 'invalid');
    assert.deepEqual(wrong.problems.map((p) => p.kind), ['SIGNATURE']);
    assert.match(wrong.problems[0]!.message, /checksums\.sha256\.sig is not a valid signature of checksums\.sha256 by the key SHA256:/);
    const notChecked = await verifyArchive(signed.files[0]!);
    assert.equal(notChecked.signature, 'not-checked');
    assert.equal(notChecked.ok, true);

    const unsigned = await archive();
    const required = await verifyArchive(unsigned.files[0]!, { publicKeyFile: path.join(keyDir, 'good.pub'), requireSignature: true });
    assert.deepEqual(required.problems.map((p) => p.kind), ['SIGNATURE']);
    assert.match(required.problems[0]!.message, /not signed/);
    const usage = await ferryAsync(['verify', unsigned.files[0]!, '--require-signature']);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /--require-signature needs --key/);
  });

  it('never writes: verifies a read-only copy in a read-only folder, leaving it byte for byte as it was', async () => {
    const a = await archive({ volumeSize: 2 * 1024 * 1024 });
    const files = copySet(a.files);
    const dir = path.dirname(files[0]!);
    const before = readdirSync(dir).map((f) => [f, statSync(path.join(dir, f)).mtimeMs, statSync(path.join(dir, f)).size]);
    for (const f of files) chmodSync(f, 0o444);
    chmodSync(dir, 0o555);
    try {
      const report = await verifyArchive(files[0]!);
      assert.deepEqual(report.problems, []);
    } finally {
      chmodSync(dir, 0o755);
    }
    assert.deepEqual(readdirSync(dir).map((f) => [f, statSync(path.join(dir, f)).mtimeMs, statSync(path.join(dir, f)).size]), before);
  });
});

describe('ferry inspect', () => {
  it('reads the packages, images, volumes and signature from the first members only', async () => {
    const a = await archive({ volumeSize: 1024 * 1024, sign: true });
    // Only the first volume is needed: inspect a folder holding just that one.
    const only = path.join(tempDir(), path.basename(a.files[0]!));
    copyFileSync(a.files[0]!, only);
    const info = await inspectArchive(only, { publicKeyFile: path.join(keyDir, 'good.pub') });
    assert.equal(info.identity, a.identity);
    assert.equal(info.identityMatches, true);
    assert.equal(info.signature, 'valid');
    assert.equal(info.volumes.count, a.files.length);
    assert.deepEqual(info.volumes.files.map((f) => path.basename(f)), a.files.map((f) => path.basename(f)));
    assert.deepEqual(info.metadata.packages.map((p) => p.name), ['demo']);
    assert.deepEqual(info.metadata.images.map((i) => i.source), ['app', 'big', 'multi']);
    const big = info.metadata.images.find((i) => i.source === 'big')!;
    assert.ok(big.size > 8 * 1024 * 1024, `the big image's size counts its layer: ${big.size}`);
    assert.equal(info.totals.images, 4);

    const cli = await ferryAsync(['inspect', only, '--json']);
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal(cli.json!.result.identity, a.identity);
    assert.equal(cli.json!.result.signature, 'signed');
    const human = await ferryAsync(['inspect', only]);
    assert.match(human.stdout, /channel stable → demo\.v1/);
    assert.match(human.stdout, /bundle {2}demo\.v1 \(1\.0\.0\)/);
    assert.match(human.stdout, /MiB {2}big/);

    const second = await ferryAsync(['inspect', a.files[1]!]);
    assert.equal(second.status, 3);
    assert.match(second.stderr, /is volume 2 of \d+: inspect the first volume/);
  });
});
