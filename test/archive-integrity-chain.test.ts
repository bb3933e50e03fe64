/**
 * The integrity chain has no way around it: archives damaged or rewritten on purpose, each refused
 * the same way by every command that reads them.
 *
 * - A signature stripped (the volume header edited to match, the identity unchanged) is noticed by
 *   verify without a key (the metadata records the signer), and `--key` always requires a valid
 *   signature: verify, push (before any request, with --skip-verify too), unpack, inspect.
 * - unpack runs verify's whole check: archives rewritten consistently (checksums recomputed,
 *   unsigned) with a member missing from the checksums, a blob whose name does not match its
 *   content, or an edited index.json unpack to nothing, exit 6.
 * - A pax global header naming another path (GNU tar and Python read every member as `../x`) is
 *   refused by verify, push, unpack, serve and inspect as UNSUPPORTED_ARCHIVE.
 * - unpack into a symbolic link to an empty folder fills the folder; the link stays.
 * - One damage, one exit code: a truncated archive and a flipped byte in oci-layout give
 *   ARCHIVE_DAMAGED/6 with verify's problem kind from verify, push, unpack, serve and inspect; a
 *   missing archive is NOT_FOUND/5 from all of them. An image copy from the `ferry-archive:`
 *   transport of such an archive is ARCHIVE_DAMAGED/6 too.
 *
 * Damaged archives are rewritten with node-tar (test/helpers/damage.ts), not with ferry's tar code.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair } from '../src/archive/signing.js';
import { readTarIndex } from '../src/oci/archive/tar-index.js';
import { removeOnExit } from './helpers/cleanup.js';
import { ferryAsync, type CliRun } from './helpers/cli.js';
import { flipByte, readTarMembers, rewriteArchive } from './helpers/damage.js';
import { runChecked } from './helpers/exec.js';
import { repoRoot, tempDir } from './helpers/paths.js';
import { settledLog, startRegistry, type TestRegistry } from './helpers/registry.js';
import { buildTestArchive, type TestArchive } from './helpers/test-archive.js';

function temp(): string {
  const dir = tempDir('ferry-chain-');
  removeOnExit(dir);
  return dir;
}

const keys = generateKeyPair();
let keyFile: string;
let signed: TestArchive;
let unsigned: TestArchive;
let registry: TestRegistry;

before(async () => {
  const dir = temp();
  keyFile = path.join(dir, 'key.pub');
  writeFileSync(keyFile, keys.publicKeyPem);
  signed = await buildTestArchive({ signKey: keys.privateKeyPem, bigLayerBytes: 256 * 1024 });
  unsigned = await buildTestArchive({ bigLayerBytes: 256 * 1024 });
  registry = await startRegistry();
});

after(async () => {
  await registry?.stop();
});

/** A copy of `source` (a single-file archive) in a new folder. */
function copyOf(source: TestArchive, name = 'demo.tar'): string {
  const file = path.join(temp(), name);
  copyFileSync(source.first, file);
  return file;
}

/** Every request line the registry logged. */
async function requests(): Promise<number> {
  return (await settledLog(registry)).filter((l) => /"(GET|HEAD|PUT|POST|PATCH|DELETE) \/v2\//.test(l)).length;
}

function push(file: string, extra: string[] = []): Promise<CliRun> {
  const dir = path.dirname(file);
  return ferryAsync(['push', file, '--to', `${registry.host}/mirror`, '--cache-dir', path.join(dir, 'push-cache'), '--manifests', path.join(dir, 'manifests'), ...extra, '--json']);
}

/** `ferry serve` of `file`: its exit, or 'listening' (then stopped) when it started serving. */
function serve(file: string): Promise<CliRun | 'listening'> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'run.js'), 'serve', file, '--listen', '127.0.0.1:0', '--json'], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    let listening = false;
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (!listening && /listening on/.test(stderr)) {
        listening = true;
        child.kill('SIGTERM');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve(listening ? 'listening' : { status: code ?? -1, stdout, stderr, ...(stdout.trim() ? { json: JSON.parse(stdout) } : {}) }));
  });
}

/** The problem kinds a `verify --json` run reported. */
function kinds(r: CliRun): string[] {
  return (r.json!.result.problems as Array<{ kind: string }>).map((p) => p.kind);
}

function assertDamaged(r: CliRun | 'listening', kind: string, what: string): void {
  assert.notEqual(r, 'listening', `${what}: started serving a damaged archive`);
  const run = r as CliRun;
  assert.equal(run.status, 6, `${what}: ${run.stderr}`);
  assert.equal(run.json!.error.code, 'ARCHIVE_DAMAGED', what);
  assert.equal(run.json!.error.kind, kind, `${what}: ${run.json!.error.message}`);
}

describe('a stripped signature', () => {
  it('removing checksums.sha256.sig and editing the volume header keeps the identity, but verify, push and inspect notice it', async () => {
    const file = copyOf(signed);
    const identity = await rewriteArchive(file, { members: { 'checksums.sha256.sig': undefined } });
    assert.equal(identity, signed.identity, 'the identity does not cover the signature');
    assert.ok(!(await readTarMembers(file)).some((m) => m.name === 'checksums.sha256.sig'));

    const plain = await ferryAsync(['verify', file, '--json']);
    assert.equal(plain.status, 6, plain.stderr);
    assert.deepEqual(kinds(plain), ['SIGNATURE']);
    assert.match(plain.json!.result.problems[0].message, /metadata records that it was signed .*no checksums\.sha256\.sig: the signature was removed/);
    const human = await ferryAsync(['verify', file]);
    assert.equal(human.status, 6);
    assert.match(human.stderr, /problem \[SIGNATURE\]: .*the signature was removed/);

    const keyed = await ferryAsync(['verify', file, '--key', keyFile, '--json']);
    assert.equal(keyed.status, 6, keyed.stderr);
    assert.ok(kinds(keyed).includes('SIGNATURE'));

    const before = await requests();
    assertDamaged(await push(file, ['--key', keyFile]), 'SIGNATURE', 'push --key');
    assertDamaged(await push(file), 'SIGNATURE', 'push');
    assert.equal(await requests(), before, 'no request reached the registry');
    assert.equal(existsSync(path.join(path.dirname(file), 'manifests')), false);

    assertDamaged(await ferryAsync(['inspect', file, '--json']), 'SIGNATURE', 'inspect');
  });

  it('an archive rewritten as unsigned (metadata too) passes without a key, never with one', async () => {
    const file = copyOf(signed);
    const metadata = JSON.parse((await readTarMembers(file)).find((m) => m.name === 'ferry-archive.json')!.data.toString('utf8')) as Record<string, unknown>;
    assert.match(String(metadata.signedBy), /^SHA256:/, 'pack records the signing key in the metadata');
    metadata.signedBy = null;
    const identity = await rewriteArchive(file, { members: { 'checksums.sha256.sig': undefined, 'ferry-archive.json': Buffer.from(`${JSON.stringify(metadata, null, 2)}\n`) } });
    assert.notEqual(identity, signed.identity);

    const plain = await ferryAsync(['verify', file, '--json']);
    assert.equal(plain.status, 0, `a consistent unsigned archive is intact without a key: ${plain.stdout}`);
    assert.equal(plain.json!.result.signature, 'unsigned');

    for (const extra of [[], ['--require-signature']]) {
      const keyed = await ferryAsync(['verify', file, '--key', keyFile, ...extra, '--json']);
      assert.equal(keyed.status, 6, keyed.stderr);
      assert.deepEqual(kinds(keyed), ['SIGNATURE']);
      assert.match(keyed.json!.result.problems[0].message, /not signed .*a key was given/);
    }

    const before = await requests();
    assertDamaged(await push(file, ['--key', keyFile]), 'SIGNATURE', 'push --key');
    assertDamaged(await push(file, ['--key', keyFile, '--skip-verify']), 'SIGNATURE', 'push --key --skip-verify');
    assertDamaged(await push(file, ['--key', keyFile, '--dry-run']), 'SIGNATURE', 'push --key --dry-run');
    assert.equal(await requests(), before, 'no request reached the registry');

    const out = path.join(path.dirname(file), 'out');
    assertDamaged(await ferryAsync(['unpack', file, out, '--key', keyFile, '--json']), 'SIGNATURE', 'unpack --key');
    assert.equal(existsSync(out), false);
    assertDamaged(await ferryAsync(['inspect', file, '--key', keyFile, '--json']), 'SIGNATURE', 'inspect --key');
  });
});

describe('unpack runs the whole check of verify', () => {
  /** The first blob that is a layer (not a manifest or config) of the `app` image. */
  function layerOf(archive: TestArchive): string {
    const app = archive.layout.images.app;
    const manifest = JSON.parse(readFileSync(path.join(archive.sourceLayout, 'blobs', 'sha256', app.digest.slice(7)), 'utf8')) as { layers: Array<{ digest: string }> };
    return `blobs/sha256/${manifest.layers[0]!.digest.slice(7)}`;
  }

  const cases: Array<{ name: string; kind: string; rewrite: (file: string) => Promise<unknown> }> = [
    { name: 'a member missing from the checksums', kind: 'NOT_LISTED', rewrite: (file) => rewriteArchive(file, { unlisted: ['manifests/mapping.txt'] }) },
    {
      name: 'a blob whose name does not match its content',
      kind: 'DIGEST_MISMATCH',
      rewrite: async (file) => {
        const name = layerOf(unsigned);
        const data = Buffer.from((await readTarMembers(file)).find((m) => m.name === name)!.data);
        data[10] ^= 0xff;
        return rewriteArchive(file, { members: { [name]: data } });
      },
    },
    {
      name: 'an edited index.json (an image dropped)',
      kind: 'METADATA',
      rewrite: async (file) => {
        const index = JSON.parse((await readTarMembers(file)).find((m) => m.name === 'index.json')!.data.toString('utf8')) as { manifests: Array<{ annotations: Record<string, string> }> };
        index.manifests = index.manifests.filter((m) => m.annotations['org.opencontainers.image.ref.name'] !== unsigned.sources.app);
        return rewriteArchive(file, { members: { 'index.json': Buffer.from(`${JSON.stringify(index)}\n`) } });
      },
    },
  ];

  for (const c of cases) {
    it(`${c.name}, written consistently: unpack exits 6 (${c.kind}), leaving no folder`, async () => {
      const file = copyOf(unsigned);
      await c.rewrite(file);
      const verify = await ferryAsync(['verify', file, '--json']);
      assert.equal(verify.status, 6, verify.stderr);
      assert.ok(kinds(verify).includes(c.kind), `verify: ${kinds(verify).join(', ')}`);

      const parent = path.dirname(file);
      const out = path.join(parent, 'out');
      const r = await ferryAsync(['unpack', file, out, '--json']);
      assert.equal(r.status, 6, r.stderr);
      assert.equal(r.json!.error.code, 'ARCHIVE_DAMAGED');
      assert.ok((r.json!.error.problems as Array<{ kind: string }>).some((p) => p.kind === c.kind), r.json!.error.message);
      assert.equal(existsSync(out), false, 'no output folder');
      assert.deepEqual(readdirSync(parent).filter((n) => n.startsWith('.')), [], 'no staging folder left');
    });
  }
});

describe('a pax global header', () => {
  it('naming path=../x (GNU tar reads every member as ../x) is refused by verify, push, unpack, serve and inspect', async () => {
    const file = copyOf(unsigned);
    const identity = await rewriteArchive(file, { globalHeader: { path: '../x' } });
    assert.equal(identity, unsigned.identity, 'the members and checksums are unchanged');
    // An independent reader sees other names than ferry would.
    const listing = await runChecked('tar', ['-tf', file]);
    assert.ok(listing.stdout.split('\n').filter(Boolean).every((n) => n === '../x'), listing.stdout);

    const unsupported = (r: CliRun | 'listening', what: string): void => {
      assert.notEqual(r, 'listening', `${what}: served it`);
      const run = r as CliRun;
      assert.equal(run.status, 3, `${what}: ${run.stderr}`);
      assert.equal(run.json!.error.code, 'UNSUPPORTED_ARCHIVE', what);
      assert.match(run.json!.error.message, /pax global header/, what);
    };
    unsupported(await ferryAsync(['verify', file, '--json']), 'verify');
    const before = await requests();
    unsupported(await push(file), 'push');
    assert.equal(await requests(), before, 'no request reached the registry');
    const out = path.join(path.dirname(file), 'out');
    unsupported(await ferryAsync(['unpack', file, out, '--json']), 'unpack');
    assert.equal(existsSync(out), false);
    unsupported(await serve(file), 'serve');
    unsupported(await ferryAsync(['inspect', file, '--json']), 'inspect');
    // The generic tar reader (oci-archive:, docker-archive:) refuses it too.
    await assert.rejects(readTarIndex(file), (e: unknown) => (e as { code?: string }).code === 'UNSUPPORTED_ARCHIVE');
  });

  it('a pax extended header is refused in a ferry archive: pack never writes one', async () => {
    const file = copyOf(unsigned);
    // node-tar writes a pax header for a member name longer than ustar holds.
    const long = `manifests/${'x'.repeat(120)}/${'y'.repeat(140)}.txt`;
    await rewriteArchive(file, { members: { [long]: Buffer.from('long\n') } });
    const r = await ferryAsync(['verify', file, '--json']);
    assert.equal(r.status, 3, r.stderr);
    assert.equal(r.json!.error.code, 'UNSUPPORTED_ARCHIVE');
    assert.match(r.json!.error.message, /a pax extended header; a ferry archive holds only regular files/);
  });
});

describe('unpack into a symbolic link', () => {
  it('to an empty folder fills the folder and keeps the link; to a non-empty one refuses', async () => {
    const parent = temp();
    const target = path.join(parent, 'target');
    mkdirSync(target);
    const link = path.join(parent, 'link');
    symlinkSync(target, link);
    const r = await ferryAsync(['unpack', unsigned.first, link, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link stays a link');
    assert.ok(statSync(path.join(target, 'oci-layout')).isFile(), 'the folder it points at is filled');
    assert.ok(existsSync(path.join(target, 'index.json')));
    assert.deepEqual(readdirSync(parent).sort(), ['link', 'target'], 'nothing else left beside it');

    const full = path.join(parent, 'full');
    mkdirSync(full);
    writeFileSync(path.join(full, 'mine.txt'), 'keep\n');
    const link2 = path.join(parent, 'link2');
    symlinkSync(full, link2);
    const s = await ferryAsync(['unpack', unsigned.first, link2, '--json']);
    assert.equal(s.status, 2, s.stderr);
    assert.match(s.json!.error.message, /not empty/);
    assert.deepEqual(readdirSync(full), ['mine.txt']);
    assert.ok(lstatSync(link2).isSymbolicLink());
  });
});

describe('one damage, one exit code', () => {
  const damages: Array<{ name: string; kind: string; damage: (file: string) => Promise<void> }> = [
    {
      name: 'a truncated archive',
      kind: 'VOLUMES',
      damage: async (file) => truncateSync(file, statSync(file).size - 5000),
    },
    {
      name: 'a flipped byte in oci-layout',
      kind: 'CHECKSUM_MISMATCH',
      damage: async (file) => flipByte(file, (await readTarIndex(file)).get('oci-layout')!.offset),
    },
  ];

  for (const d of damages) {
    it(`${d.name}: ARCHIVE_DAMAGED/6 (${d.kind}) from verify, push, unpack, serve, inspect and the ferry-archive: transport`, async () => {
      const file = copyOf(unsigned);
      await d.damage(file);
      const verify = await ferryAsync(['verify', file, '--json']);
      assert.equal(verify.status, 6, verify.stderr);
      assert.equal(verify.json!.exitCode, 6);
      assert.ok(kinds(verify).includes(d.kind), kinds(verify).join(', '));

      const before = await requests();
      assertDamaged(await push(file), d.kind, 'push');
      assert.equal(await requests(), before, 'no request reached the registry');
      const out = path.join(path.dirname(file), 'out');
      assertDamaged(await ferryAsync(['unpack', file, out, '--json']), d.kind, 'unpack');
      assert.equal(existsSync(out), false);
      assertDamaged(await serve(file), d.kind, 'serve');
      assertDamaged(await ferryAsync(['inspect', file, '--json']), d.kind, 'inspect');
      const copyTo = path.join(path.dirname(file), 'copy');
      const copied = await ferryAsync(['image', 'copy', `ferry-archive:${file}:${unsigned.sources.big}`, `oci:${copyTo}:x`, '--json']);
      assert.equal(copied.status, 6, `image copy from the ferry-archive: transport: ${copied.stderr}`);
      assert.equal(copied.json!.error.code, 'ARCHIVE_DAMAGED');
      assert.match(copied.json!.error.message, new RegExp(`\\[${d.kind}\\]`));
      assert.equal(existsSync(copyTo), false);
    });
  }

  it('a missing archive file is NOT_FOUND/5 from every command, and verify prints no signature line', async () => {
    const missing = path.join(temp(), 'nonexistent.tar');
    const runs: Array<[string, CliRun | 'listening']> = [
      ['verify', await ferryAsync(['verify', missing, '--json'])],
      ['push', await push(missing)],
      ['unpack', await ferryAsync(['unpack', missing, path.join(path.dirname(missing), 'out'), '--json'])],
      ['serve', await serve(missing)],
      ['inspect', await ferryAsync(['inspect', missing, '--json'])],
    ];
    for (const [what, r] of runs) {
      assert.notEqual(r, 'listening');
      const run = r as CliRun;
      assert.equal(run.status, 5, `${what}: ${run.stderr}`);
      assert.equal(run.json!.error.code, 'NOT_FOUND', what);
    }
    const human = await ferryAsync(['verify', missing]);
    assert.equal(human.status, 5);
    assert.doesNotMatch(human.stdout + human.stderr, /signature:/);
  });

  it('ARCHIVE_EXISTS suggests what pack really offers, and docs/exit-codes.md lists it', async () => {
    const dir = temp();
    const output = path.join(dir, 'demo.tar');
    writeFileSync(output, 'already here\n');
    await assert.rejects(
      buildTestArchive({ bigLayerBytes: 64 * 1024, dir }),
      (e: unknown) => {
        const err = e as { code: string; exitCode: number; message: string; suggestions: string[] };
        assert.equal(err.code, 'ARCHIVE_EXISTS');
        assert.doesNotMatch(err.message, /unless asked/);
        assert.match(err.suggestions.join(' '), /-o\/--output/);
        return true;
      },
    );
    assert.equal(readFileSync(output, 'utf8'), 'already here\n', 'the existing file is untouched');
    assert.match(readFileSync(path.join(repoRoot, 'docs', 'exit-codes.md'), 'utf8'), /`ARCHIVE_EXISTS`/);
  });
});
