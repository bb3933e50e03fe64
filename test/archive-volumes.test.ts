/**
 * Archive volumes: plan math (exact sizes, never over the limit, pieces, order, determinism), the
 * write + read round trip with 1 MiB volumes checked with GNU tar, read-only reading, byte-identical
 * rewrites, and each fault caught with a precise message.
 */
import { ArchiveDamagedError } from '../src/archive/archive-damaged.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, mkdirSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseVolumeSize } from '../src/archive/volume-size.js';
import { planVolumes, tarMemberBytes, volumeFileName, type VolumePlan } from '../src/archive/volumes/plan-volumes.js';
import { openVolumes } from '../src/archive/volumes/read-volumes.js';
import { encodeVolumeHeader, parseVolumeHeader } from '../src/archive/volumes/volume-header.js';
import { writeVolumes, type MemberSource } from '../src/archive/volumes/write-volumes.js';
import { ArchiveError } from '../src/oci/archive/tar-header.js';
import { readTarIndex } from '../src/oci/archive/tar-index.js';
import { IntegrityError, sha256Digest } from '../src/oci/digest.js';
import { removeOnExit } from './helpers/cleanup.js';
import { tempDir } from './helpers/paths.js';

const MiB = 1024 * 1024;
const ID_A = `sha256:${'a'.repeat(64)}`;
const ID_B = `sha256:${'b'.repeat(64)}`;

function scratch(): string {
  const dir = tempDir('ferry-volumes-');
  removeOnExit(dir);
  return dir;
}

function tar(args: string[], cwd?: string): string {
  const r = spawnSync('tar', args, { cwd });
  assert.equal(r.status, 0, `tar ${args.join(' ')}: ${r.stderr?.toString()}`);
  return r.stdout.toString('utf8');
}

/** Deterministic pseudo-random bytes (a sha256 chain), written to a file in 64 KiB steps. */
function patternFile(file: string, size: number, seed: string): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let at = 0; at < size; at += 32) {
    block = createHash('sha256').update(block).digest();
    block.copy(out, at, 0, Math.min(32, size - at));
  }
  writeFileSync(file, out);
  return out;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function checkPlan(plan: VolumePlan, limit: number | undefined): void {
  for (const v of plan.volumes) {
    const expected = tarMemberBytes(v.header.length) + v.members.reduce((s, m) => s + tarMemberBytes(m.size), 0) + 1024;
    assert.equal(v.size, expected, `volume ${v.volume} size`);
    if (limit !== undefined) assert.ok(v.size <= limit, `volume ${v.volume} is ${v.size} bytes, over ${limit}`);
    assert.deepEqual(parseVolumeHeader(v.header, 'x'), { archive: plan.archive, volume: v.volume, volumes: plan.volumes.length, members: v.members.map((m) => (m.piece ? { name: m.name, size: m.size, piece: m.piece } : { name: m.name, size: m.size })) });
  }
  // Joined back in order, the pieces are exactly the logical members.
  const joined: { name: string; size: number }[] = [];
  for (const v of plan.volumes) {
    for (const m of v.members) {
      const last = joined[joined.length - 1];
      if (m.piece !== undefined && m.piece.index > 1) {
        assert.equal(last!.name, m.member);
        assert.equal(m.piece.offset, last!.size);
        assert.equal(m.start, m.piece.offset);
        last!.size += m.size;
      } else {
        joined.push({ name: m.member, size: m.size });
      }
    }
  }
  assert.deepEqual(joined, plan.members);
}

describe('planVolumes', () => {
  it('computes exact sizes, never exceeds the limit, and keeps the given order', () => {
    const members = [
      { name: 'index.json', size: 300 },
      { name: 'blobs/sha256/one', size: 600 * 1024 },
      { name: 'blobs/sha256/two', size: 500 * 1024 }, // does not fit beside one: new volume
      { name: 'blobs/sha256/three', size: 0 },
      { name: 'blobs/sha256/four', size: 512 },
    ];
    const plan = planVolumes(members, MiB, ID_A);
    checkPlan(plan, MiB);
    assert.equal(plan.volumes.length, 2);
    assert.deepEqual(plan.volumes.map((v) => v.members.map((m) => m.name)), [['index.json', 'blobs/sha256/one'], ['blobs/sha256/two', 'blobs/sha256/three', 'blobs/sha256/four']]);
    // Header: 512-byte tar header + JSON padded; then 512 + 512 for index.json, 512 + 600 KiB, end blocks.
    assert.equal(plan.volumes[0]!.size, 512 + 512 + 1024 + 512 + 600 * 1024 + 1024);
    assert.deepEqual(planVolumes(members, MiB, ID_A), plan, 'deterministic');
  });

  it('splits a member larger than a volume into pieces that fill the volumes', () => {
    const members = [
      { name: 'small', size: 100 },
      { name: 'big', size: Math.floor(3.3 * MiB) },
      { name: 'after', size: 1000 },
    ];
    const plan = planVolumes(members, MiB, ID_A);
    checkPlan(plan, MiB);
    const pieces = plan.volumes.flatMap((v) => v.members.filter((m) => m.member === 'big'));
    assert.equal(pieces.length, 4);
    assert.deepEqual(pieces.map((p) => p.name), [1, 2, 3, 4].map((i) => `big.ferry-piece-${i}-of-4`));
    assert.equal(pieces.reduce((s, p) => s + p.size, 0), members[1]!.size);
    // The first piece starts in volume 1 beside "small"; full volumes are filled to within a block.
    assert.deepEqual(plan.volumes[0]!.members.map((m) => m.name), ['small', 'big.ferry-piece-1-of-4']);
    for (const v of plan.volumes.slice(0, 3)) assert.ok(MiB - v.size < 1024, `volume ${v.volume} wastes ${MiB - v.size} bytes`);
    // "after" shares the last volume with the last piece.
    assert.deepEqual(plan.volumes[3]!.members.map((m) => m.name), ['big.ferry-piece-4-of-4', 'after']);
  });

  it('counts header digits exactly with many volumes and many pieces', () => {
    const limit = 8 * 1024;
    const plan = planVolumes([{ name: 'huge', size: 100 * 1024 }, ...Array.from({ length: 30 }, (_, i) => ({ name: `m${i}`, size: 3000 }))], limit, ID_A);
    checkPlan(plan, limit);
    assert.ok(plan.volumes.length > 10);
    const pieces = plan.volumes.flatMap((v) => v.members.filter((m) => m.piece !== undefined));
    assert.ok(pieces.length >= 10);
    assert.ok(pieces.every((p) => p.piece!.of === pieces.length && p.name === `huge.ferry-piece-${p.piece!.index}-of-${pieces.length}`));
  });

  it('without a volume size makes one unnumbered volume with its header', () => {
    const plan = planVolumes([{ name: 'a', size: 5 * MiB }], undefined, ID_A);
    checkPlan(plan, undefined);
    assert.equal(plan.volumes.length, 1);
    assert.equal(plan.numbered, false);
    assert.equal(volumeFileName('NAME', 1, 1, false), 'NAME.tar');
    assert.equal(volumeFileName('NAME', 2, 12, true), 'NAME.002.tar');
    assert.equal(volumeFileName('NAME', 7, 1234, true), 'NAME.0007.tar');
  });

  it('refuses duplicate names', () => {
    assert.throws(() => planVolumes([{ name: 'a', size: 1 }, { name: 'a', size: 2 }], MiB, ID_A), /duplicate archive member "a"/);
  });

  it('encodes the header with a fixed key order', () => {
    const bytes = encodeVolumeHeader({ archive: 'x', volume: 2, volumes: 3, members: [{ name: 'p', size: 5, piece: { index: 1, of: 2, offset: 0 } }] });
    assert.equal(bytes.toString(), '{"format":"ferry-volume/v1","archive":"x","volume":2,"volumes":3,"members":[{"name":"p","size":5,"piece":{"index":1,"of":2,"offset":0}}]}\n');
    assert.throws(() => parseVolumeHeader(Buffer.from('{"format":"other"}'), 'V.tar'), (e: unknown) => e instanceof ArchiveError && /^V\.tar: invalid volume header/.test(e.message));
  });
});

describe('writeVolumes and openVolumes', () => {
  const src = scratch();
  const big = patternFile(path.join(src, 'big.bin'), 2.5 * MiB, 'big');
  const mid = patternFile(path.join(src, 'mid.bin'), 300 * 1024 + 7, 'mid');
  const meta = Buffer.from('{"hello":"world"}\n');
  const members = [
    { name: 'index.json', size: meta.length },
    { name: 'blobs/sha256/big', size: big.length },
    { name: 'blobs/sha256/mid', size: mid.length },
    { name: 'blobs/sha256/empty', size: 0 },
  ];
  const data: Record<string, Buffer> = { 'index.json': meta, 'blobs/sha256/big': big, 'blobs/sha256/mid': mid, 'blobs/sha256/empty': Buffer.alloc(0) };
  const sources: Record<string, MemberSource> = {
    'index.json': { kind: 'bytes', bytes: meta },
    'blobs/sha256/big': { kind: 'file', path: path.join(src, 'big.bin'), digest: sha256Digest(big) },
    'blobs/sha256/mid': { kind: 'file', path: path.join(src, 'mid.bin') },
    'blobs/sha256/empty': { kind: 'bytes', bytes: Buffer.alloc(0) },
  };
  const volumeSize = parseVolumeSize('1MiB');

  async function write(dir: string, archive = ID_A, source = (n: string) => sources[n]!): Promise<string[]> {
    mkdirSync(dir, { recursive: true });
    return writeVolumes(planVolumes(members, volumeSize, archive), { dir, baseName: 'ferry', source });
  }

  /** What the files hold is damage (ARCHIVE_DAMAGED, kind VOLUMES); the name given, an ArchiveError. */
  async function expectOpenFails(first: string, pattern: RegExp, kind: 'damaged' | 'name' = 'damaged'): Promise<void> {
    await assert.rejects(openVolumes(first), (e: unknown) => {
      if (kind === 'name') assert.ok(e instanceof ArchiveError, `expected ArchiveError, got ${String(e)}`);
      else assert.ok(e instanceof ArchiveDamagedError && e.kind === 'VOLUMES' && e.exitCode === 6, `expected ArchiveDamagedError, got ${String(e)}`);
      assert.match((e as Error).message, pattern);
      return true;
    });
  }

  it('round-trips across volumes; each volume is a valid tar; rewrites are byte-identical', async () => {
    const dir = path.join(scratch(), 'out');
    const files = await write(dir);
    assert.deepEqual(files.map((f) => path.basename(f)), ['ferry.001.tar', 'ferry.002.tar', 'ferry.003.tar']);
    assert.deepEqual(readdirSync(dir).sort(), files.map((f) => path.basename(f)), 'no temp files left');
    for (const f of files) assert.ok(statSync(f).size <= volumeSize);

    // GNU tar lists and extracts each volume on its own.
    for (const [i, f] of files.entries()) {
      const listed = tar(['-tf', f]).trim().split('\n');
      assert.equal(listed[0], 'ferry-volume.json');
      const x = path.join(scratch(), `x${i}`);
      mkdirSync(x);
      tar(['-xf', f], x);
      const header = JSON.parse(readFileSync(path.join(x, 'ferry-volume.json'), 'utf8'));
      assert.equal(header.archive, ID_A);
      assert.equal(header.volume, i + 1);
      assert.equal(header.volumes, 3);
      assert.deepEqual(listed.slice(1), header.members.map((m: { name: string }) => m.name));
      for (const m of header.members as { name: string; size: number; piece?: { offset: number } }[]) {
        const logical = m.piece ? m.name.replace(/\.ferry-piece-\d+-of-\d+$/, '') : m.name;
        const off = m.piece?.offset ?? 0;
        assert.deepEqual(readFileSync(path.join(x, m.name)), data[logical]!.subarray(off, off + m.size), `${f}: ${m.name}`);
      }
    }
    const bigPieces = files.flatMap((f) => tar(['-tf', f]).split('\n').filter((n) => n.startsWith('blobs/sha256/big.')));
    assert.deepEqual(bigPieces, ['blobs/sha256/big.ferry-piece-1-of-3', 'blobs/sha256/big.ferry-piece-2-of-3', 'blobs/sha256/big.ferry-piece-3-of-3']);

    // Read-only copy: the reader reads everything and changes nothing.
    const ro = path.join(scratch(), 'ro');
    cpSync(dir, ro, { recursive: true });
    chmodSync(ro, 0o555);
    for (const f of readdirSync(ro)) chmodSync(path.join(ro, f), 0o444);
    const before = snapshot(ro);
    try {
      const set = await openVolumes(path.join(ro, 'ferry.001.tar'));
      assert.equal(set.archive, ID_A);
      assert.deepEqual(set.members().map((m) => ({ name: m.name, size: m.size })), members);
      assert.ok(set.members().every((m) => m.volumes.length >= 1 && m.volumes.every((v) => v >= 1 && v <= set.files.length)), 'each member names the volumes holding it');
      for (const m of members) {
        const bytes = await readAll(set.openVerified(m.name, sha256Digest(data[m.name]!)));
        assert.ok(bytes.equals(data[m.name]!), m.name);
      }
      assert.ok((await readAll(set.openMember('blobs/sha256/big'))).equals(big));
      assert.throws(() => set.openMember('nope'), /has no member nope/);
    } finally {
      assert.deepEqual(snapshot(ro), before, 'the reader changed nothing');
      chmodSync(ro, 0o755);
    }

    // A second write elsewhere is byte-identical.
    const again = await write(path.join(scratch(), 'again'));
    for (const [i, f] of files.entries()) assert.ok(readFileSync(f).equals(readFileSync(again[i]!)), `${path.basename(f)} differs`);
  });

  it('writes a single unnumbered NAME.tar without a volume size and reads it back', async () => {
    const dir = scratch();
    const files = await writeVolumes(planVolumes(members, undefined, ID_A), { dir, baseName: 'one', source: (n) => sources[n]! });
    assert.deepEqual(files, [path.join(dir, 'one.tar')]);
    const set = await openVolumes(files[0]!);
    assert.ok((await readAll(set.openVerified('blobs/sha256/big', sha256Digest(big)))).equals(big));
  });

  it('refuses to overwrite existing volumes and leaves them untouched', async () => {
    const dir = path.join(scratch(), 'out');
    await write(dir);
    const before = snapshot(dir);
    await assert.rejects(write(dir, ID_B), /ferry\.001\.tar already exists/);
    assert.deepEqual(snapshot(dir), before);
  });

  it('a failure mid-write leaves no temp files and no final files', async () => {
    const dir = path.join(scratch(), 'out');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'unrelated.txt'), 'keep');
    const broken = path.join(scratch(), 'mid.bin');
    writeFileSync(broken, Buffer.alloc(10)); // wrong size: mid is in a later volume than big's first pieces
    await assert.rejects(write(dir, ID_A, (n) => (n === 'blobs/sha256/mid' ? { kind: 'file', path: broken } : sources[n]!)), /has 10 bytes, expected 307207/);
    assert.deepEqual(readdirSync(dir), ['unrelated.txt']);
    assert.equal(readFileSync(path.join(dir, 'unrelated.txt'), 'utf8'), 'keep');

    // A blob whose content does not match its digest fails after its last piece, leaving nothing.
    const bad = { ...sources['blobs/sha256/big']!, digest: ID_B } as MemberSource;
    await assert.rejects(write(dir, ID_A, (n) => (n === 'blobs/sha256/big' ? bad : sources[n]!)), IntegrityError);
    assert.deepEqual(readdirSync(dir), ['unrelated.txt']);

    // An abort leaves nothing either.
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(writeVolumes(planVolumes(members, volumeSize, ID_A), { dir, baseName: 'ferry', source: (n) => sources[n]! }, { signal: controller.signal }));
    assert.deepEqual(readdirSync(dir), ['unrelated.txt']);
  });

  describe('faults', () => {
    const good = path.join(scratch(), 'good');
    const other = path.join(scratch(), 'other');
    const ready = Promise.all([write(good), write(other, ID_B)]);
    async function copy(): Promise<string> {
      await ready;
      const dir = path.join(scratch(), 'copy');
      cpSync(good, dir, { recursive: true });
      return dir;
    }

    it('a missing middle volume names the expected file', async () => {
      const dir = await copy();
      const { rmSync } = await import('node:fs');
      rmSync(path.join(dir, 'ferry.002.tar'));
      await expectOpenFails(path.join(dir, 'ferry.001.tar'), new RegExp(`missing volume 2 of 3: expected ${escape(path.join(dir, 'ferry.002.tar'))}`));
    });

    it('a volume from another archive is named', async () => {
      const dir = await copy();
      copyFileSync(path.join(other, 'ferry.003.tar'), path.join(dir, 'ferry.003.tar'));
      await expectOpenFails(path.join(dir, 'ferry.001.tar'), new RegExp(`${escape(path.join(dir, 'ferry.003.tar'))} belongs to another archive: its header names archive ${ID_B}`));
    });

    it('a truncated volume is named', async () => {
      const dir = await copy();
      const file = path.join(dir, 'ferry.002.tar');
      truncateSync(file, statSync(file).size - 5000);
      await expectOpenFails(path.join(dir, 'ferry.001.tar'), new RegExp(`${escape(file)} \\(volume 2 of 3\\) is truncated or damaged: .*truncated`));
      // Losing only the end blocks is caught too.
      const dir2 = await copy();
      const file2 = path.join(dir2, 'ferry.003.tar');
      truncateSync(file2, statSync(file2).size - 1024);
      await expectOpenFails(path.join(dir2, 'ferry.001.tar'), new RegExp(`${escape(file2)} \\(volume 3 of 3\\) is truncated: `));
    });

    it('a flipped byte inside a piece fails verification at the end', async () => {
      const dir = await copy();
      const file = path.join(dir, 'ferry.002.tar');
      const entry = (await readTarIndex(file)).get('blobs/sha256/big.ferry-piece-2-of-3')!;
      const bytes = readFileSync(file);
      bytes[entry.offset + 12345] ^= 0xff;
      writeFileSync(file, bytes);
      const set = await openVolumes(path.join(dir, 'ferry.001.tar'));
      await assert.rejects(readAll(set.openVerified('blobs/sha256/big', sha256Digest(big))), (e: unknown) => {
        assert.ok(e instanceof IntegrityError);
        assert.match(e.message, /archive member blobs\/sha256\/big \(in .*ferry\.001\.tar, .*ferry\.002\.tar, .*ferry\.003\.tar\): blob content does not match its digest/);
        return true;
      });
      // The other members still verify.
      assert.ok((await readAll(set.openVerified('blobs/sha256/mid', sha256Digest(mid)))).equals(mid));
    });

    it('an extra member appended with tar -rf is refused', async () => {
      const dir = await copy();
      writeFileSync(path.join(dir, 'extra.txt'), 'sneaky');
      tar(['-rf', 'ferry.003.tar', 'extra.txt'], dir);
      await expectOpenFails(path.join(dir, 'ferry.001.tar'), new RegExp(`${escape(path.join(dir, 'ferry.003.tar'))} \\(volume 3 of 3\\) has a tar member "extra.txt" that its volume header does not list`));
    });

    it('opening a later volume points at the first', async () => {
      await ready;
      await expectOpenFails(path.join(good, 'ferry.002.tar'), /is volume 2, not the first: open .*ferry\.001\.tar/, 'name');
    });
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Names, sizes, modes, mtimes and content hashes of a folder's files. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) {
    const s = statSync(path.join(dir, f));
    out[f] = `${s.size} ${s.mode} ${s.mtimeMs} ${sha256Digest(readFileSync(path.join(dir, f)))}`;
  }
  return out;
}
