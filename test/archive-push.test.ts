/**
 * `ferry push` of a small archive (test/helpers/test-archive: four fixture images under realistic
 * source names, 1 MiB volumes so a 24 MiB layer spans many) into a real docker-registry with
 * htpasswd auth and TLS. Proves: the volumes are read in place from a read-only folder; every image
 * lands under its mapped name with the archive's bytes (skopeo by digest); the manifests are
 * written for the real mirror; a second push sends nothing (verify not repeated on unchanged files,
 * journal checked against the registry); a damaged volume is refused before any request; a blob
 * damaged after verify fails its image alone (partial, catalog withheld, no manifests); the
 * registry restarted mid-push and ferry killed mid-push both end, on the next run, in a complete
 * mirror with no blob uploaded twice; --dry-run sends nothing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readTarIndex } from '../src/oci/archive/tar-index.js';
import { buildMapping } from '../src/mirror/mapping.js';
import { removeOnExit } from './helpers/cleanup.js';
import { ferryAsync } from './helpers/cli.js';
import { sha256Digest, skopeoInspectRaw } from './helpers/fixtures.js';
import { repoRoot, tempDir } from './helpers/paths.js';
import { flipByte, readOnlyCopy } from './helpers/damage.js';
import { settledLog, startRegistry, type TestRegistry } from './helpers/registry.js';
import { buildTestArchive, type TestArchive } from './helpers/test-archive.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function temp(prefix = 'ferry-push-'): string {
  const dir = tempDir(prefix);
  removeOnExit(dir);
  return dir;
}

/** Blob uploads completed (the final PUT ?digest=…, 201), by digest. */
function blobPuts(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    const m = /"PUT \/v2\/[^ ]+\/blobs\/uploads\/[^ ]*[?&]digest=(sha256(?::|%3A)[0-9a-f]{64})[^ ]* HTTP\/[0-9.]+" 201 /.exec(l);
    if (m) out.push(m[1]!.replace('%3A', ':'));
  }
  return out;
}

/** Every request line the registry logged (access log format). */
function requests(lines: readonly string[]): string[] {
  return lines.filter((l) => /"(GET|HEAD|PUT|POST|PATCH|DELETE) \/v2\//.test(l));
}

function pushArgs(archive: string, registry: TestRegistry, extra: string[] = []): string[] {
  return ['push', archive, '--to', `${registry.host}/mirror`, '--creds', `${registry.username}:${registry.password}`, '--ca-file', registry.caFile!, ...extra];
}

/** Flips one byte in the middle of blob member `digest` of a single-file archive. */
async function damageBlob(file: string, digest: string): Promise<void> {
  const index = await readTarIndex(file);
  const entry = index.resolve(`blobs/sha256/${digest.slice('sha256:'.length)}`);
  assert.ok(entry, `blob ${digest} is a member of ${file}`);
  flipByte(file, entry.offset + Math.floor(entry.size / 2));
}

let archive: TestArchive;
let single: TestArchive;

before(async () => {
  archive = await buildTestArchive({ volumeSize: 1024 * 1024, bigLayerBytes: 24 * 1024 * 1024 });
  single = await buildTestArchive({ bigLayerBytes: 24 * 1024 * 1024 });
});

/** source → destination as push maps them under `<host>/mirror`. */
function mapped(registry: TestRegistry): Map<string, string> {
  return new Map(buildMapping(Object.values(archive.sources), { to: `${registry.host}/mirror` }).mappings.map((m) => [m.source, m.destination]));
}

describe('ferry push into a registry with htpasswd auth and TLS', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry({ auth: 'htpasswd', tls: true });
  });
  after(async () => registry.stop());

  it('pushes every image from read-only volumes, writes the manifests, and a second run sends nothing', async () => {
    const files = readOnlyCopy(archive.files);
    const work = temp();
    const cache = path.join(work, 'cache');
    const manifests = path.join(work, 'manifests');
    const r = await ferryAsync([...pushArgs(files[0]!, registry, ['--cache-dir', cache, '--manifests', manifests]), '--json']);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const result = r.json!.result;
    assert.equal(result.verify, 'full');
    assert.deepEqual(result.images, { total: 4, pushed: 4, skipped: 0, failed: 0 });
    assert.equal(result.catalog.status, 'pushed');
    assert.equal(result.next, `oc apply -f ${manifests}`);

    // Every image, by digest under its mapped name, has the archive's bytes; the tag names the same digest.
    const names = mapped(registry);
    for (const [fixture, source] of Object.entries(archive.sources)) {
      const destination = names.get(source)!;
      const repository = destination.slice(0, destination.lastIndexOf(':'));
      const digest = archive.layout.images[fixture as 'app'].digest;
      assert.deepEqual(await skopeoInspectRaw(`${repository}@${digest}`, registry), archive.layout.blob(digest), destination);
      assert.equal(sha256Digest(await skopeoInspectRaw(destination, registry)), digest);
    }
    // Each blob was uploaded once; the layer the app and multi images share with the catalog was mounted, not sent again.
    const first = blobPuts(await settledLog(registry));
    assert.equal(new Set(first).size, first.length, 'no blob uploaded twice');
    assert.ok(result.blobs.mounted > 0, `mounted: ${JSON.stringify(result.blobs)}`);

    // The manifests point at the real mirror.
    const mapping = readFileSync(path.join(manifests, 'mapping.txt'), 'utf8');
    for (const [source, destination] of names) assert.ok(mapping.includes(`${source}=${destination}`), mapping);
    const catalogSource = readFileSync(path.join(manifests, 'catalogSource.yaml'), 'utf8');
    assert.ok(catalogSource.includes(names.get(archive.sources.base)!.replace(/:[^:/]+$/, '')), catalogSource);
    assert.ok(readdirSync(manifests).includes('imageDigestMirrorSet.yaml'));

    // Again: the files are unchanged since verified, every image journaled and still there.
    const before = requests(await settledLog(registry)).length;
    const again = await ferryAsync([...pushArgs(files[0]!, registry, ['--cache-dir', cache, '--manifests', manifests]), '--json']);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.json!.result.verify, 'unchanged');
    assert.deepEqual(again.json!.result.images, { total: 4, pushed: 0, skipped: 4, failed: 0 });
    const log = await settledLog(registry);
    assert.deepEqual(blobPuts(log), first, 'nothing uploaded by the second push');
    const second = requests(log).slice(before);
    assert.ok(second.every((l) => /"(HEAD|GET) \/v2\/(mirror\/[^ ]+\/manifests\/|\s)/.test(l) || /"GET \/v2\/ /.test(l)), `only manifest checks:\n${second.join('\n')}`);

    // With a fresh cache (no journal, no verify record): verified again, every image found complete, nothing sent.
    const fresh = await ferryAsync([...pushArgs(files[0]!, registry, ['--cache-dir', path.join(work, 'fresh-cache'), '--manifests', manifests]), '--json']);
    assert.equal(fresh.status, 0, fresh.stderr);
    assert.equal(fresh.json!.result.verify, 'full');
    assert.deepEqual(fresh.json!.result.images, { total: 4, pushed: 0, skipped: 4, failed: 0 });
    assert.equal(fresh.json!.result.bytes, 0);
    assert.deepEqual(blobPuts(await settledLog(registry)), first, 'nothing uploaded with a fresh cache either');
  });

  it('refuses a damaged volume before sending anything', async () => {
    const dir = temp();
    const copies = archive.files.map((f) => {
      const to = path.join(dir, path.basename(f));
      copyFileSync(f, to);
      return to;
    });
    // Flip a byte in the middle of a volume holding a piece of the big layer.
    const victim = copies[Math.floor(copies.length / 2)]!;
    flipByte(victim, 600 * 1024);
    const before = requests(await settledLog(registry)).length;
    const r = await ferryAsync([...pushArgs(copies[0]!, registry, ['--cache-dir', path.join(dir, 'cache'), '--manifests', path.join(dir, 'manifests')]), '--json']);
    assert.equal(r.status, 6, r.stderr);
    assert.equal(r.json!.error.code, 'ARCHIVE_DAMAGED');
    assert.match(r.json!.error.message, new RegExp(`CHECKSUM_MISMATCH.*${path.basename(victim).replace(/\./g, '\\.')}`));
    assert.equal(requests(await settledLog(registry)).length, before, 'no request reached the registry');
    assert.equal(existsSync(path.join(dir, 'manifests')), false, 'no manifests written');
  });

  it('--dry-run lists destinations and sizes and sends nothing', async () => {
    const dir = temp();
    const before = requests(await settledLog(registry)).length;
    const r = await ferryAsync([...pushArgs(archive.first, registry, ['--cache-dir', path.join(dir, 'cache'), '--manifests', path.join(dir, 'manifests')]), '--dry-run', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const names = mapped(registry);
    const plan = r.json!.result;
    assert.deepEqual(
      [...plan.images, plan.catalog].map((i: { source: string; destination: string }) => [i.source, i.destination]).sort(),
      [...names].sort(),
    );
    assert.ok(plan.images.every((i: { size: number }) => i.size > 0));
    assert.equal(requests(await settledLog(registry)).length, before);
    assert.equal(existsSync(path.join(dir, 'manifests')), false);
  });
});

describe('ferry push faults', () => {
  it('a blob damaged after verify fails its image alone: partial, catalog withheld, no manifests; an intact run completes', async () => {
    const registry = await startRegistry({ auth: 'none' });
    try {
      const dir = temp();
      const file = path.join(dir, 'demo.tar');
      copyFileSync(single.first, file);
      await damageBlob(file, archive.layout.images.big.layers[0]!);
      const r = await ferryAsync(['push', file, '--to', `${registry.host}/mirror`, '--skip-verify', '--cache-dir', path.join(dir, 'cache'), '--manifests', path.join(dir, 'manifests'), '--json']);
      assert.equal(r.status, 7, r.stderr);
      const result = r.json!.result;
      assert.equal(result.verify, 'skipped');
      assert.deepEqual(result.images, { total: 4, pushed: 2, skipped: 0, failed: 1 });
      assert.equal(result.failed.length, 1);
      assert.match(result.failed[0].source, /registry\.example\.com\/team\/big:2\.0$/);
      assert.match(result.failed[0].error.message, /digest|sha256/i);
      assert.equal(result.catalog.status, 'withheld');
      assert.match(r.json!.warnings.join('\n'), /catalog .* not pushed/);
      assert.equal(existsSync(path.join(dir, 'manifests')), false);
      const names = mapped(registry);
      assert.notEqual((await ferryAsync(['image', 'inspect', `docker://${names.get(archive.sources.base)}`])).status, 0, 'the catalog is not in the mirror');
      // The damaged layer never became a blob of the registry.
      const layer = archive.layout.images.big.layers[0]!;
      assert.equal(blobPuts(await settledLog(registry)).includes(layer), false);

      const fixed = await ferryAsync(['push', single.first, '--to', `${registry.host}/mirror`, '--cache-dir', path.join(dir, 'cache'), '--manifests', path.join(dir, 'manifests'), '--json']);
      assert.equal(fixed.status, 0, fixed.stderr);
      // The intact archive is another archive? No: the same identity (the damage was in the bytes, not the checksums): the journal carries over.
      assert.deepEqual(fixed.json!.result.images, { total: 4, pushed: 2, skipped: 2, failed: 0 });
      assert.ok(existsSync(path.join(dir, 'manifests', 'catalogSource.yaml')));
    } finally {
      await registry.stop();
    }
  });

  it('the registry restarted mid-push: the run again completes and no blob is uploaded twice', async () => {
    const registry = await startRegistry({ auth: 'none' });
    try {
      const dir = temp();
      const args = ['push', archive.first, '--to', `${registry.host}/mirror`, '--cache-dir', path.join(dir, 'cache'), '--manifests', path.join(dir, 'manifests'), '--json', '-j', '1'];
      const running = ferryAsync(args);
      // Restart as soon as the first blob has landed.
      for (let i = 0; i < 400 && blobPuts(registry.logLines()).length === 0; i++) await sleep(25);
      assert.ok(blobPuts(registry.logLines()).length > 0, 'a blob landed before the restart');
      await registry.restart();
      const first = await running;
      assert.ok([0, 7].includes(first.status), `${first.status}: ${first.stderr}`);
      const second = await ferryAsync(args);
      assert.equal(second.status, 0, second.stderr);
      assert.equal(second.json!.result.images.failed, 0);
      const puts = blobPuts(await settledLog(registry));
      assert.equal(new Set(puts).size, puts.length, `a blob was uploaded twice: ${puts.join(' ')}`);
      for (const [source, destination] of mapped(registry)) {
        const digest = Object.entries(archive.sources).find(([, s]) => s === source)![0];
        assert.equal(sha256Digest(await skopeoInspectRaw(destination, { host: registry.host })), archive.layout.images[digest as 'app'].digest);
      }
    } finally {
      await registry.stop();
    }
  });

  it('ferry killed (SIGKILL) mid-push: the run again completes, finished images skipped', async () => {
    const registry = await startRegistry({ auth: 'none' });
    try {
      const dir = temp();
      const args = ['push', archive.first, '--to', `${registry.host}/mirror`, '--cache-dir', path.join(dir, 'cache'), '--manifests', path.join(dir, 'manifests'), '-j', '1'];
      const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'run.js'), ...args], { stdio: 'ignore' });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // Kill once some image's manifest is in (so the journal has something) but before the catalog.
      const manifestPuts = (): number => registry.logLines().filter((l) => /"PUT \/v2\/mirror\/[^ ]+\/manifests\/[^ ]+ HTTP\/[0-9.]+" 201 /.test(l)).length;
      for (let i = 0; i < 800 && manifestPuts() === 0; i++) await sleep(10);
      child.kill('SIGKILL');
      await exited;
      const again = await ferryAsync([...args, '--json']);
      assert.equal(again.status, 0, again.stderr);
      const result = again.json!.result;
      assert.equal(result.images.failed, 0);
      assert.equal(result.images.pushed + result.images.skipped, 4);
      const puts = blobPuts(await settledLog(registry));
      assert.equal(new Set(puts).size, puts.length, `a blob was uploaded twice: ${puts.join(' ')}`);
      assert.ok(existsSync(path.join(dir, 'manifests', 'mapping.txt')));
    } finally {
      await registry.stop();
    }
  });
});
