/**
 * `ferry pack` end to end, as a user runs it (bin/run.js), against a real registry:
 *
 * 1. Real corpus packages whose every image exists: copies of three small corpus packages, each
 *    image reference rewritten to a synthetic image in the test registry (test/helpers/corpus-images).
 *    The catalog is built and pushed by ferry, packed, and the archive is checked with independent
 *    tools: tar, sha256sum, skopeo.
 * 2. Resume: pack is killed (SIGKILL) while one layer is half downloaded, then run again. The
 *    registry's own access log shows that no blob the cache already held was downloaded again.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseChecksums } from '../src/archive/checksums.js';
import { openVolumes } from '../src/archive/volumes/read-volumes.js';
import { removeDir, removeOnExit } from './helpers/cleanup.js';
import { ferryAsync } from './helpers/cli.js';
import { buildCorpusFixture, type CorpusFixture } from './helpers/corpus-images.js';
import { runChecked } from './helpers/exec.js';
import { buildFixtureLayout, pushFixtures, sha256Digest, skopeoCopy, skopeoInspectRaw, type FixtureLayout, type RegistryEndpoint } from './helpers/fixtures.js';
import { writePackageManifest } from './helpers/manifests.js';
import { repoRoot, tempDir } from './helpers/paths.js';
import { settledLog, startRegistry, type TestRegistry } from './helpers/registry.js';

/** Small corpus packages covering relatedImages, containers, initContainers, tags, digests, tag+digest and a containerImage-only reference. */
const CORPUS_PACKAGES = ['kubemod', 'sealed-secrets-operator-helm', 'xrootd-operator'];

let layout: FixtureLayout;
let registry: TestRegistry;

before(async () => {
  layout = await buildFixtureLayout();
  registry = await startRegistry({ auth: 'none' });
  await skopeoCopy(layout.images.base.layoutRef, `docker://${registry.host}/opm:latest`, { dest: registry });
});

after(async () => registry.stop());

function temp(prefix: string): string {
  const dir = tempDir(prefix);
  removeOnExit(dir);
  return dir;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Digests of every blob the registry log shows GET (200/206) in `lines`, in order. */
function blobGets(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    const m = /^127\.0\.0\.1 .*"GET \/v2\/[^ ]+\/blobs\/(sha256:[0-9a-f]{64}) HTTP\/[0-9.]+" (\d{3}) /.exec(l);
    if (m && (m[2] === '200' || m[2] === '206')) out.push(m[1]!);
  }
  return out;
}

interface RawManifestDoc {
  mediaType?: string;
  config?: { digest: string };
  layers?: Array<{ digest: string }>;
  manifests?: Array<{ digest: string }>;
}

/**
 * Everything an image is made of in the registry, read by skopeo: manifest (and index) digests and
 * config and layer digests.
 */
async function registryClosure(ref: string, endpoint: RegistryEndpoint): Promise<{ manifests: Set<string>; blobs: Set<string> }> {
  const manifests = new Set<string>();
  const blobs = new Set<string>();
  const repository = ref.replace(/@.*$/, '').replace(/:[^:/]+$/, '');
  // skopeo refuses a reference with both a tag and a digest; the digest is what names the image.
  const visit = async (reference: string): Promise<void> => {
    const raw = await skopeoInspectRaw(`docker://${reference}`, endpoint);
    manifests.add(sha256Digest(raw));
    const doc = JSON.parse(raw.toString('utf8')) as RawManifestDoc;
    for (const child of doc.manifests ?? []) await visit(`${repository}@${child.digest}`);
    if (doc.config) blobs.add(doc.config.digest);
    for (const l of doc.layers ?? []) blobs.add(l.digest);
  };
  await visit(ref.includes('@') ? `${repository}${ref.slice(ref.indexOf('@'))}` : ref);
  return { manifests, blobs };
}

async function union(refs: readonly string[], endpoint: RegistryEndpoint): Promise<{ manifests: Set<string>; blobs: Set<string> }> {
  const all = { manifests: new Set<string>(), blobs: new Set<string>() };
  for (const ref of refs) {
    const c = await registryClosure(ref, endpoint);
    c.manifests.forEach((d) => all.manifests.add(d));
    c.blobs.forEach((d) => all.blobs.add(d));
  }
  return all;
}

/** Every member listed in checksums.sha256, read back through the volume reader and verified against its sha256. */
async function verifyWithReader(archive: string): Promise<{ identity: string; members: string[] }> {
  const set = await openVolumes(archive);
  const chunks: Buffer[] = [];
  for await (const c of set.openMember('checksums.sha256')) chunks.push(c as Buffer);
  const checksums = Buffer.concat(chunks);
  assert.equal(sha256Digest(checksums), set.archive, 'the archive identity is the sha256 of its checksums file');
  const entries = parseChecksums(checksums, 'checksums.sha256');
  for (const e of entries) {
    for await (const _ of set.openVerified(e.path, `sha256:${e.sha256}`)) void _;
  }
  const listed = new Set(entries.map((e) => e.path));
  const others = set.members().map((m) => m.name).filter((n) => !listed.has(n));
  assert.deepEqual(others.sort(), ['checksums.sha256'], 'every member but the checksums file itself is listed');
  return { identity: set.archive, members: entries.map((e) => e.path) };
}

/** `ferry verify` (the receiving side's check) accepts the archive. */
async function ferryVerify(archive: string): Promise<void> {
  const r = await ferryAsync(['verify', archive]);
  assert.equal(r.status, 0, `ferry verify ${archive}:\n${r.stdout}\n${r.stderr}`);
}

interface ArchiveMetadata {
  format: string;
  catalog: { source: string; digest: string; kind: string };
  images: Array<{ source: string; digest: string; bundles: string[] }>;
  missing: unknown[];
  invalid: unknown[];
  blobs: { count: number; bytes: number };
}

test('corpus packages with real images: built, packed, and the archive read by tar, sha256sum and skopeo', async () => {
  const host = registry.host;
  const fixture: CorpusFixture = await buildCorpusFixture(CORPUS_PACKAGES, registry);
  const kinds = new Set(fixture.catalogImages.map((i) => i.kind));
  assert.ok(kinds.has('tag') && kinds.has('digest') && kinds.has('tag+digest'), `fixture kinds: ${[...kinds].join(', ')}`);
  const sources = new Set(fixture.catalogImages.flatMap((i) => i.sources));
  assert.ok(sources.has('relatedImages') && sources.has('containers') && sources.has('initContainers'), `fixture sources: ${[...sources].join(', ')}`);
  // xrootd's containerImage annotation names a tag its deployment does not use; opm does not record it.
  const annotationOnly = fixture.images.filter((i) => i.catalogCsvs.length === 0);
  assert.deepEqual(annotationOnly.map((i) => i.sources), [['containerImage']]);

  const catalog = `${host}/olm/corpus:v1`;
  const built = await ferryAsync(['registry', 'build', ...fixture.packages.flatMap((p) => ['--from-dir', p.dir]), '--from', `${host}/opm:latest`, '--to', catalog, '--json']);
  assert.equal(built.status, 0, built.stderr);

  const dir = temp('ferry-e2e-out-');
  const archive = path.join(dir, 'corpus.tar');
  const r = await ferryAsync(['pack', '--catalog', catalog, '-o', archive, '--cache-dir', path.join(dir, 'cache'), '--json']);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.equal(r.json!.status, 'ok');
  assert.deepEqual(r.json!.result.files, [archive]);
  assert.equal(r.json!.result.images, fixture.catalogImages.length);
  assert.deepEqual(r.json!.result.missing, []);
  assert.deepEqual(r.json!.result.invalid, []);

  const out = path.join(dir, 'x');
  mkdirSync(out);
  await runChecked('tar', ['-xf', archive, '-C', out]);
  const check = await runChecked('sha256sum', ['--strict', '-c', 'checksums.sha256'], { cwd: out });
  assert.ok(!/FAILED|WARNING/.test(check.stdout + check.stderr), check.stdout);
  assert.equal(r.json!.result.identity, sha256Digest(readFileSync(path.join(out, 'checksums.sha256'))));

  // The metadata lists exactly the rewritten references (normalized), each with the pushed digest and the CSVs naming it.
  const metadata = JSON.parse(readFileSync(path.join(out, 'ferry-archive.json'), 'utf8')) as ArchiveMetadata;
  assert.equal(metadata.format, 'ferry-archive/v1');
  assert.equal(metadata.catalog.source, catalog);
  assert.equal(metadata.catalog.kind, 'sqlite');
  assert.deepEqual(metadata.missing, []);
  assert.deepEqual(metadata.invalid, []);
  assert.deepEqual(
    metadata.images.map((i) => [i.source, i.digest, i.bundles]).sort(),
    fixture.catalogImages.map((i) => [i.normalized, i.digest, i.catalogCsvs]).sort(),
  );
  assert.ok(!metadata.images.some((i) => i.source === annotationOnly[0]!.normalized), 'a containerImage-only reference is not packed');
  assert.equal(metadata.catalog.digest, sha256Digest(await skopeoInspectRaw(catalog, registry)));

  // index.json names each image (and the catalog) by its source reference, and the blobs are exactly what the registry holds for them.
  const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations: Record<string, string> }> };
  const names = index.manifests.map((m) => m.annotations['org.opencontainers.image.ref.name']!);
  assert.deepEqual(names, [catalog, ...fixture.catalogImages.map((i) => i.normalized)].sort());
  const closure = await union([catalog, ...fixture.catalogImages.map((i) => i.rewritten)], registry);
  const archivedBlobs = readdirSync(path.join(out, 'blobs', 'sha256')).map((h) => `sha256:${h}`).sort();
  assert.deepEqual(archivedBlobs, [...new Set([...closure.manifests, ...closure.blobs])].sort());
  assert.deepEqual(metadata.blobs.count, archivedBlobs.length);

  // skopeo reads images straight out of the archive, digests equal to the source registry's:
  // every image by inspect, and one of each kind copied whole (every blob read).
  for (const image of fixture.catalogImages) {
    const fromArchive = sha256Digest(await skopeoInspectRaw(`oci-archive:${archive}:${image.normalized}`));
    assert.equal(fromArchive, sha256Digest(await skopeoInspectRaw(image.kind === 'tag+digest' ? image.rewritten.replace(/:[^:/@]+@/, '@') : image.rewritten, registry)), image.normalized);
    assert.equal(fromArchive, image.digest, image.normalized);
  }
  const copies = temp('ferry-e2e-copies-');
  for (const kind of ['tag', 'digest', 'tag+digest'] as const) {
    const image = fixture.catalogImages.find((i) => i.kind === kind)!;
    const copied = await skopeoCopy(`oci-archive:${archive}:${image.normalized}`, `oci:${path.join(copies, kind.replace('+', '-'))}:x`);
    assert.equal(copied, image.digest, `${kind}: ${image.normalized}`);
  }

  await verifyWithReader(archive);
  await ferryVerify(archive);
});

/**
 * A plain-HTTP proxy in front of the registry that can hold one blob download: it reads the
 * registry's whole answer (so the registry logs the GET as complete), sends the client the headers
 * and half the body, then neither sends more nor closes. Counts requests in flight.
 */
interface StallProxy {
  host: string;
  /** Requests whose answer has not finished. */
  inFlight(): number;
  /** Downloads currently held. */
  held(): number;
  /** Hold the next GET of this blob. */
  stallNext(digest: string): void;
  stop(): Promise<void>;
}

async function startStallProxy(target: TestRegistry): Promise<StallProxy> {
  let stallDigest: string | undefined;
  let inFlight = 0;
  const held = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
      held.delete(res);
    });
    const url = req.url ?? '/';
    const stall = stallDigest !== undefined && req.method === 'GET' && url.includes(`/blobs/${stallDigest}`);
    if (stall) stallDigest = undefined;
    const upstream = http.request({ host: '127.0.0.1', port: target.port, method: req.method, path: url, headers: { ...req.headers, host: target.host }, agent }, (up) => {
      if (!stall || up.statusCode !== 200) {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        const body = Buffer.concat(chunks);
        res.writeHead(200, up.headers);
        res.write(body.subarray(0, Math.floor(body.length / 2)));
        held.add(res);
      });
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    inFlight: () => inFlight,
    held: () => held.size,
    stallNext: (digest) => (stallDigest = digest),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Regular files in the cache's blob folder: complete ones (named by their verified digest) and others (temp files). */
function cacheBlobs(cacheDir: string): { complete: Set<string>; other: string[] } {
  const dir = path.join(cacheDir, 'layout', 'blobs', 'sha256');
  const complete = new Set<string>();
  const other: string[] = [];
  if (!existsSync(dir)) return { complete, other };
  for (const name of readdirSync(dir)) {
    const hex = createHash('sha256').update(readFileSync(path.join(dir, name))).digest('hex');
    if (/^[0-9a-f]{64}$/.test(name) && hex === name) complete.add(`sha256:${name}`);
    else other.push(name);
  }
  return { complete, other };
}

test('resume: pack killed with SIGKILL mid-download runs again, downloads no blob the cache already held, and the archive verifies', async () => {
  const host = registry.host;
  const pushed = await pushFixtures(layout, registry, 'resume', { names: ['app', 'big', 'multi'] });
  const proxy = await startStallProxy(registry);
  let child: ChildProcess | undefined;
  try {
    // The catalog names the images through the proxy; it is built and pushed straight to the registry.
    const via = (name: string): string => `${proxy.host}/${pushed.find((p) => p.name === name)!.repository}`;
    const manifests = temp('ferry-e2e-resume-manifests-');
    writePackageManifest(manifests, 'resume', [{ name: 'stable', currentCSV: 'resume.v1.0.0' }], [
      { name: 'resume.v1.0.0', version: '1.0.0', images: [`${via('app')}:1.0`], relatedImages: [`${via('multi')}@${layout.images.multi.digest}`, `${via('big')}:1.0`] },
    ]);
    const built = await ferryAsync(['registry', 'build', '--from-dir', path.join(manifests, 'resume'), '--from', `${host}/opm:latest`, '--to', `${host}/olm/resume:v1`, '--json']);
    assert.equal(built.status, 0, built.stderr);
    const catalog = `${proxy.host}/olm/resume:v1`;
    const images = [`${via('app')}:1.0`, `${via('big')}:1.0`, `${via('multi')}@${layout.images.multi.digest}`];
    // Every config and layer the pack must download once, read from the registry by skopeo.
    const expected = await union([`${host}/olm/resume:v1`, ...images.map((i) => i.replace(proxy.host, host))], registry);
    const bigLayer = layout.images.big.layers[0]!;
    assert.ok(expected.blobs.has(bigLayer));

    const work = temp('ferry-e2e-resume-');
    const out = path.join(work, 'out');
    mkdirSync(out);
    const cacheDir = path.join(work, 'cache');
    const archive = path.join(out, 'resume.tar');
    const args = ['pack', '--catalog', catalog, '-o', archive, '--cache-dir', cacheDir, '--json'];

    // Run 1: the big layer is held half-sent; everything else completes. Killed once nothing else is in flight.
    const mark0 = (await settledLog(registry)).length;
    proxy.stallNext(bigLayer);
    const proc = spawn(process.execPath, [path.join(repoRoot, 'bin', 'run.js'), ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    proc.stdout.on('data', (c: Buffer) => (output += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    let exitedEarly = false;
    void exited.then(() => (exitedEarly = true));
    const deadline = Date.now() + 30_000;
    let quietSince: number | undefined;
    for (;;) {
      assert.ok(!exitedEarly, `pack finished before it could be killed:\n${output}`);
      assert.ok(Date.now() < deadline, `the held download never became the only request in flight (held ${proxy.held()}, in flight ${proxy.inFlight()}):\n${output}`);
      const quiet = proxy.held() === 1 && proxy.inFlight() === 1;
      quietSince = quiet ? (quietSince ?? Date.now()) : undefined;
      if (quietSince !== undefined && Date.now() - quietSince >= 500) break;
      await sleep(20);
    }
    proc.kill('SIGKILL');
    assert.deepEqual(await exited, { code: null, signal: 'SIGKILL' });

    const atKill = cacheBlobs(cacheDir);
    const run1 = blobGets((await settledLog(registry)).slice(mark0));
    assert.ok(run1.includes(bigLayer), 'the big layer was being downloaded');
    assert.ok(!atKill.complete.has(bigLayer), 'the big layer was not complete when pack was killed');
    assert.ok(atKill.other.some((n) => n.startsWith(bigLayer.slice(7))), `a partial download of the big layer was in the cache: ${atKill.other.join(', ')}`);
    const heldBlobs = [...atKill.complete].filter((d) => expected.blobs.has(d));
    assert.ok(heldBlobs.length >= 4, `the cache held blobs of several images when killed: ${heldBlobs.length} of ${expected.blobs.size}`);
    assert.deepEqual(readdirSync(out), [], 'nothing is written beside the archive before the gathering is done');

    // Run 2: to completion.
    const mark1 = (await settledLog(registry)).length;
    const second = await ferryAsync(args);
    assert.equal(second.status, 0, `${second.stdout}\n${second.stderr}`);
    const run2 = blobGets((await settledLog(registry)).slice(mark1));

    // No blob the cache held was asked for again; each blob was downloaded once, the interrupted ones at most once more.
    assert.deepEqual(run2.filter((d) => atKill.complete.has(d)), [], 'blobs complete in the cache were downloaded again');
    assert.equal(new Set(run1).size, run1.length, `run 1 downloaded a blob twice: ${run1.join(' ')}`);
    assert.equal(new Set(run2).size, run2.length, `run 2 downloaded a blob twice: ${run2.join(' ')}`);
    assert.deepEqual([...new Set([...run1, ...run2])].sort(), [...expected.blobs].sort(), 'every blob was downloaded, and nothing else');
    const interrupted = new Set(run1.filter((d) => !atKill.complete.has(d)));
    assert.ok(run1.length + run2.length <= expected.blobs.size + interrupted.size, `${run1.length} + ${run2.length} blob GETs for ${expected.blobs.size} blobs, ${interrupted.size} interrupted`);
    assert.deepEqual([...run2].sort(), [...expected.blobs].filter((d) => !atKill.complete.has(d)).sort(), 'the second run downloaded exactly what the cache lacked');
    assert.ok(run2.includes(bigLayer));

    // The archive: under its final name only, complete, and verifying.
    assert.deepEqual(readdirSync(out), ['resume.tar']);
    assert.deepEqual(second.json!.result.files, [archive]);
    const verified = await verifyWithReader(archive);
    assert.equal(verified.identity, second.json!.result.identity);
    assert.deepEqual(
      verified.members.filter((m) => m.startsWith('blobs/')).map((m) => `sha256:${m.slice('blobs/sha256/'.length)}`).sort(),
      [...new Set([...expected.manifests, ...expected.blobs])].sort(),
    );
    await ferryVerify(archive);

    // Same content as a pack from an empty cache (only ferry-archive.json differs: its creation time).
    const fresh = path.join(work, 'fresh');
    mkdirSync(fresh);
    const again = await ferryAsync(['pack', '--catalog', catalog, '-o', path.join(fresh, 'resume.tar'), '--cache-dir', path.join(work, 'fresh-cache'), '--json']);
    assert.equal(again.status, 0, again.stderr);
    const sums = async (file: string): Promise<string[]> => {
      const x = temp('ferry-e2e-x-');
      try {
        await runChecked('tar', ['-xf', file, '-C', x, 'checksums.sha256']);
        return readFileSync(path.join(x, 'checksums.sha256'), 'utf8').split('\n').filter((l) => l !== '' && !l.endsWith('  ferry-archive.json'));
      } finally {
        removeDir(x);
      }
    };
    assert.deepEqual(await sums(archive), await sums(path.join(fresh, 'resume.tar')));
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await proxy.stop();
  }
});
