/**
 * `ferry pack` end to end, as a user runs it (bin/run.js), against a real registry:
 *
 * 1. Packages whose every image exists: copies of three synthetic packages (helpers/synthetic-corpus),
 *    each image reference rewritten to a synthetic image in the test registry (helpers/package-images).
 *    The catalog is built and pushed by ferry, packed, and the archive is checked with independent
 *    tools: tar, sha256sum, skopeo (helpers/pack-checks; the conformance suite does the same with
 *    shared-corpus packages, test/conformance/archive-pack-corpus.test.ts).
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
import { removeDir, removeOnExit } from './helpers/cleanup.js';
import { ferryAsync } from './helpers/cli.js';
import { runChecked } from './helpers/exec.js';
import { buildFixtureLayout, pushFixtures, skopeoCopy, type FixtureLayout } from './helpers/fixtures.js';
import { writePackageManifest } from './helpers/manifests.js';
import { buildImageFixture } from './helpers/package-images.js';
import { checkPackOfFixture, ferryVerify, union, verifyWithReader } from './helpers/pack-checks.js';
import { repoRoot, tempDir } from './helpers/paths.js';
import { settledLog, startRegistry, type TestRegistry } from './helpers/registry.js';
import { writeSyntheticCorpus } from './helpers/synthetic-corpus.js';

/** Synthetic packages covering relatedImages, containers, initContainers, tags, digests, tag+digest and a containerImage-only reference. */
const PACKAGES = ['pinned', 'annotated', 'metrics'];

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

test('synthetic packages with real images: built, packed, and the archive read by tar, sha256sum and skopeo', async () => {
  const corpus = writeSyntheticCorpus();
  await checkPackOfFixture(registry, await buildImageFixture(PACKAGES.map((p) => corpus.packageDir(p)), registry));
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
