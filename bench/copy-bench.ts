/**
 * Image copy benchmark (`npm run bench:copy`): ferry against skopeo, both directions.
 *
 * 1. Writes a deterministic OCI image layout by hand: 20 images (img01..img20), about 1 GiB of
 *    unique layer bytes with shared layers (one 100 MiB base layer in every image, a 16 MiB layer
 *    per group of five images, two layers of each image's own). Layer content is an AES-CTR
 *    keystream (seeded, incompressible) in a hand-written gzip frame of stored blocks, streamed to
 *    disk; nothing on the copy path unpacks it.
 * 2. Pushes the layout into a local registry once with skopeo (--preserve-digests), so the source
 *    registry is filled by an independent tool, and checks the digests it holds.
 * 3. registry → layout: `ferry image mirror -f` (20 lines) against skopeo run once per image, one
 *    after another, as a user would script it. Fresh output folder per run.
 * 4. layout → registry: the same, each run into a fresh registry so nothing is skipped.
 * 5. One image with a single 1 GiB layer, copied with `ferry image copy` both ways: peak RSS
 *    (streaming must not depend on the layer size), with ferry's and skopeo's time.
 *
 * Each case runs FERRY_BENCH_RUNS times (default 3), ferry and skopeo in alternating order, each
 * with a private empty HOME and no auth file; the median wall time is reported. (Run as root,
 * skopeo keeps its blob-info cache in /var/lib/containers/cache whatever HOME is; it only records
 * where blobs were seen, and every registry here is new on a new port, so nothing is skipped.)
 * Every copy is checked (index/manifest digests, blob sizes, blob hashes, `skopeo inspect --raw`).
 * A broken copy or a failing command voids its case (the other cases still run) and the process
 * exits 1; a missed target is reported as FAIL but does not change the exit code.
 * Figures are also written to bench/results/copy.json.
 */
import { spawn } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { crc32, createGunzip } from 'node:zlib';
import { startRegistry, type TestRegistry } from '../test/helpers/registry.js';

// ---------------------------------------------------------------------------------------------
// Settings

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

const IMAGES = 20;
const BASE_LAYER = 100 * MiB; // in every image
const GROUP_SIZE = 5; // images 01-05, 06-10, ... share one group layer
const GROUP_LAYER = 16 * MiB;
const APP_LAYER = 32 * MiB; // each image's own two layers: 43 MiB together,
const EXTRA_LAYER = 11 * MiB; // with a few KiB moved between them so sizes are not round
const ODD = 4097;
const BIG_LAYER = GiB; // the single-layer case
const SEED = 'ferry-bench-copy/v1';

const RUNS = runsFromEnv();
const TARGET_RATIO = 0.7;
const TARGET_RSS_MB = 150;
const NEEDED_DISK_BYTES = 6 * GiB;

const LAYER_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';
const CONFIG_MEDIA_TYPE = 'application/vnd.oci.image.config.v1+json';
const MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';
const REF_NAME = 'org.opencontainers.image.ref.name';
const READ_CHUNK = 4 * MiB;

/** Source tree: this file is bench/copy-bench.ts, compiled to dist/bench/copy-bench.js. */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '..', '..');
const BENCH_DIR = path.join(REPO_ROOT, 'bench');
const CLI = path.join(REPO_ROOT, 'bin', 'run.js');
const PEAK_RSS_HELPER = path.join(BENCH_DIR, 'peak-rss.js');
const RESULTS_DIR = path.join(BENCH_DIR, 'results');
const GNU_TIME = '/usr/bin/time';

/** Left out of every child's environment, so no credentials, config or proxy leak in. */
const SCRUBBED_ENV = [
  'REGISTRY_AUTH_FILE',
  'DOCKER_CONFIG',
  'XDG_RUNTIME_DIR',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'XDG_CACHE_HOME',
  'CONTAINERS_REGISTRIES_CONF',
  'CONTAINERS_CONF',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'ALL_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'all_proxy',
  'no_proxy',
  'FERRY_BENCH_RSS_FILE',
];

function runsFromEnv(): number {
  const raw = process.env.FERRY_BENCH_RUNS;
  if (raw === undefined || raw === '') return 3;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 50) throw new Error(`FERRY_BENCH_RUNS must be an integer from 1 to 50, got "${raw}"`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Deterministic OCI layout

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

interface LayerSpec {
  label: string;
  size: number;
}

interface ImageSpec {
  name: string;
  layers: LayerSpec[];
}

interface BuiltImage {
  name: string;
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
}

interface Layout {
  dir: string;
  images: BuiltImage[];
  /** Every distinct blob (layers, configs, manifests): digest → size. */
  blobs: Map<string, number>;
  /** Sum of distinct blob sizes: what a copy has to move once. */
  uniqueBytes: number;
  /** Sum over images of config and layer sizes (shared layers counted per image). */
  logicalBytes: number;
  /** sha256 over the manifest digests: equal across runs, as generation is seeded. */
  fingerprint: string;
  ms: number;
}

const imageName = (n: number): string => `img${String(n).padStart(2, '0')}`;

function imageSpecs(): ImageSpec[] {
  return Array.from({ length: IMAGES }, (_, i) => {
    const n = i + 1;
    const name = imageName(n);
    return {
      name,
      layers: [
        { label: 'base', size: BASE_LAYER },
        { label: `group${Math.floor(i / GROUP_SIZE) + 1}`, size: GROUP_LAYER },
        { label: `${name}-app`, size: APP_LAYER + ODD * n },
        { label: `${name}-extra`, size: EXTRA_LAYER - ODD * n },
      ],
    };
  });
}

/** A 128-bit value derived from the seed and a purpose, for AES keys and IVs. */
function derive(purpose: string): Buffer {
  return createHash('sha256').update(`${SEED}|${purpose}`).digest().subarray(0, 16);
}

interface LayerBlob extends Descriptor {
  /** sha256 of the uncompressed content (the config's rootfs.diff_ids entry). */
  diffId: string;
}

/** Deflate's largest stored block. */
const STORED_BLOCK = 65_535;
const BLOCKS_PER_WRITE = 64;
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]); // deflate, no flags, mtime 0, OS unknown

/**
 * Writes a layer blob: `payload` bytes of AES-128-CTR keystream (keyed by `label`) framed as a real
 * gzip stream of stored (uncompressed) deflate blocks, streamed to disk a few MiB at a time.
 * A real gzip stream, not just the label: skopeo sniffs layer compression, and without
 * --preserve-digests it gzips a layer it finds uncompressed, which would change every digest. The
 * framing is written by hand, so the bytes do not depend on the zlib version.
 */
async function writeLayerBlob(blobsDir: string, label: string, payload: number): Promise<LayerBlob> {
  const cipher = createCipheriv('aes-128-ctr', derive(`key|${label}`), derive(`iv|${label}`));
  const zeros = Buffer.alloc(STORED_BLOCK * BLOCKS_PER_WRITE);
  const out = Buffer.alloc((STORED_BLOCK + 5) * BLOCKS_PER_WRITE);
  const blobHash = createHash('sha256');
  const diffHash = createHash('sha256');
  let crc = 0;
  let size = 0;
  const temp = path.join(blobsDir, `.tmp-${label}`);
  const file = await open(temp, 'w');
  const write = async (chunk: Buffer): Promise<void> => {
    blobHash.update(chunk);
    size += chunk.length;
    for (let off = 0; off < chunk.length; ) off += (await file.write(chunk, off, chunk.length - off)).bytesWritten;
  };
  try {
    await write(GZIP_HEADER);
    for (let left = payload; left > 0; ) {
      const n = Math.min(zeros.length, left);
      const data = cipher.update(zeros.subarray(0, n));
      diffHash.update(data);
      crc = crc32(data, crc);
      let o = 0;
      for (let i = 0; i < n; i += STORED_BLOCK) {
        const len = Math.min(STORED_BLOCK, n - i);
        out[o] = left - i - len === 0 ? 1 : 0; // BFINAL on the last block, BTYPE 00 (stored)
        out.writeUInt16LE(len, o + 1);
        out.writeUInt16LE(~len & 0xffff, o + 3);
        data.copy(out, o + 5, i, i + len);
        o += 5 + len;
      }
      await write(out.subarray(0, o));
      left -= n;
    }
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc >>> 0, 0);
    trailer.writeUInt32LE(payload % 2 ** 32, 4);
    await write(trailer);
  } finally {
    await file.close();
  }
  const hex = blobHash.digest('hex');
  await rename(temp, path.join(blobsDir, hex));
  return { mediaType: LAYER_MEDIA_TYPE, digest: `sha256:${hex}`, size, diffId: `sha256:${diffHash.digest('hex')}` };
}

async function writeJsonBlob(blobsDir: string, mediaType: string, doc: unknown): Promise<Descriptor> {
  const bytes = Buffer.from(JSON.stringify(doc));
  const hex = createHash('sha256').update(bytes).digest('hex');
  await writeFile(path.join(blobsDir, hex), bytes);
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
}

async function writeLayout(dir: string, specs: ImageSpec[]): Promise<Layout> {
  const started = performance.now();
  const blobsDir = path.join(dir, 'blobs', 'sha256');
  mkdirSync(blobsDir, { recursive: true });
  writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const layers = new Map<string, LayerBlob>();
  const blobs = new Map<string, number>();
  const images: BuiltImage[] = [];
  let logicalBytes = 0;
  for (const spec of specs) {
    const descriptors: LayerBlob[] = [];
    for (const layer of spec.layers) {
      let d = layers.get(layer.label);
      if (d === undefined) {
        d = await writeLayerBlob(blobsDir, layer.label, layer.size);
        layers.set(layer.label, d);
        blobs.set(d.digest, d.size);
      }
      descriptors.push(d);
    }
    const created = '2024-01-01T00:00:00Z';
    const config = await writeJsonBlob(blobsDir, CONFIG_MEDIA_TYPE, {
      created,
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'], Labels: { 'io.ferry.bench': 'copy', 'io.ferry.bench.image': spec.name } },
      // The layers are gzip streams of random bytes, not tars: nothing on the copy path unpacks them.
      rootfs: { type: 'layers', diff_ids: descriptors.map((d) => d.diffId) },
      history: spec.layers.map((l) => ({ created, created_by: `ferry bench: layer ${l.label} (${l.size} bytes)` })),
    });
    const layerDescriptors: Descriptor[] = descriptors.map(({ mediaType, digest, size }) => ({ mediaType, digest, size }));
    const manifest = await writeJsonBlob(blobsDir, MANIFEST_MEDIA_TYPE, { schemaVersion: 2, mediaType: MANIFEST_MEDIA_TYPE, config, layers: layerDescriptors });
    blobs.set(config.digest, config.size);
    blobs.set(manifest.digest, manifest.size);
    logicalBytes += config.size + descriptors.reduce((sum, d) => sum + d.size, 0);
    images.push({ name: spec.name, manifest, config, layers: layerDescriptors });
  }
  const index = { schemaVersion: 2, mediaType: INDEX_MEDIA_TYPE, manifests: images.map((i) => ({ ...i.manifest, annotations: { [REF_NAME]: i.name } })) };
  writeFileSync(path.join(dir, 'index.json'), `${JSON.stringify(index)}\n`);
  // The framing must be a gzip stream that really holds the content the diff_id names.
  const smallest = [...layers.values()].sort((x, y) => x.size - y.size)[0]!;
  const unpacked = createHash('sha256');
  for await (const chunk of createReadStream(path.join(blobsDir, smallest.digest.slice('sha256:'.length))).pipe(createGunzip())) unpacked.update(chunk as Buffer);
  if (`sha256:${unpacked.digest('hex')}` !== smallest.diffId) throw new Error(`generated layer ${smallest.digest} does not gunzip to its diff_id ${smallest.diffId}`);
  let uniqueBytes = 0;
  for (const size of blobs.values()) uniqueBytes += size;
  const fingerprint = createHash('sha256').update(images.map((i) => `${i.name}=${i.manifest.digest}`).join('\n')).digest('hex');
  return { dir, images, blobs, uniqueBytes, logicalBytes, fingerprint, ms: performance.now() - started };
}

// ---------------------------------------------------------------------------------------------
// Child processes

interface Exec {
  code: number | null;
  stdout: Buffer;
  stderr: string;
  wallMs: number;
}

function exec(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Exec> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), wallMs: performance.now() - started }));
  });
}

function commandLine(command: string, args: string[]): string {
  return [command, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`)).join(' ');
}

async function mustExec(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Exec> {
  const r = await exec(command, args, env);
  if (r.code !== 0) {
    throw new Error(`${commandLine(command, args)} exited with ${r.code}\n${r.stderr.slice(-4000)}${r.stdout.toString('utf8').slice(0, 2000)}`);
  }
  return r;
}

let scratchRoot: string | undefined;
let homes = 0;

/** The environment minus anything that configures registries, with a fresh empty HOME. */
function privateEnv(label: string): { env: NodeJS.ProcessEnv; home: string } {
  const home = path.join(scratchRoot!, `home-${label}-${++homes}`);
  mkdirSync(home);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  for (const k of SCRUBBED_ENV) delete env[k];
  return { env, home };
}

interface FerryRun {
  wallMs: number;
  peakRssMb: number;
  /** The copy time ferry reports itself (without node and oclif start-up). */
  ferrySeconds: number;
  blobs: { copied: number; mounted: number; skipped: number; bytes: number };
}

interface FerryEnvelope {
  status: string;
  result?: {
    seconds: number;
    blobs: FerryRun['blobs'];
    digest?: string;
    images?: Array<{ source: string; destination: string; digest: string }>;
    failed?: unknown[];
  };
}

/** `node bench/peak-rss.js bin/run.js ARGS --json` with a private HOME; the envelope must say ok. */
async function runFerry(args: string[]): Promise<FerryRun & { envelope: FerryEnvelope }> {
  const { env, home } = privateEnv('ferry');
  const rssFile = path.join(home, 'rss.json');
  env.FERRY_BENCH_RSS_FILE = rssFile;
  try {
    const r = await mustExec(process.execPath, [PEAK_RSS_HELPER, CLI, ...args, '--json'], env);
    const envelope = JSON.parse(r.stdout.toString('utf8')) as FerryEnvelope;
    if (envelope.status !== 'ok' || envelope.result === undefined) throw new Error(`ferry ${args.join(' ')} reported ${envelope.status}: ${r.stdout.toString('utf8').slice(0, 2000)}`);
    const { maxRssKb } = JSON.parse(readFileSync(rssFile, 'utf8')) as { maxRssKb: number };
    return { wallMs: r.wallMs, peakRssMb: maxRssKb / 1024, ferrySeconds: envelope.result.seconds, blobs: envelope.result.blobs, envelope };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

interface SkopeoRun {
  wallMs: number;
  /** Highest peak RSS of the skopeo processes (GNU time), when /usr/bin/time is there. */
  peakRssMb: number | null;
  perImageMs: number[];
}

/** Runs `skopeo --insecure-policy copy FLAGS SRC DST` for each pair, one after another. */
async function runSkopeoCopies(flags: string[], pairs: Array<[string, string]>): Promise<SkopeoRun> {
  const { env, home } = privateEnv('skopeo');
  const timeFile = path.join(home, 'time.txt');
  const useTime = existsSync(GNU_TIME);
  let peakKb: number | null = useTime ? 0 : null;
  const perImageMs: number[] = [];
  try {
    const started = performance.now();
    for (const [src, dst] of pairs) {
      const skopeoArgs = ['--insecure-policy', 'copy', ...flags, src, dst];
      const r = useTime ? await mustExec(GNU_TIME, ['-f', '%M', '-o', timeFile, 'skopeo', ...skopeoArgs], env) : await mustExec('skopeo', skopeoArgs, env);
      perImageMs.push(r.wallMs);
      if (useTime) {
        const kb = Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop());
        if (Number.isFinite(kb)) peakKb = Math.max(peakKb ?? 0, kb);
      }
    }
    return { wallMs: performance.now() - started, peakRssMb: peakKb === null ? null : peakKb / 1024, perImageMs };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

async function skopeoRawDigest(ref: string, flags: string[] = []): Promise<string> {
  const { env, home } = privateEnv('inspect');
  try {
    const r = await mustExec('skopeo', ['--insecure-policy', 'inspect', '--raw', ...flags, ref], env);
    return `sha256:${createHash('sha256').update(r.stdout).digest('hex')}`;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Checking copies

class BrokenCopy extends Error {}

function expect(ok: boolean, what: string): void {
  if (!ok) throw new BrokenCopy(what);
}

interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  sha256: string;
  bytes: number;
}

/** One request to a plain-HTTP registry; the body is hashed as it streams (never held). */
function request(method: 'GET' | 'HEAD', url: string, accept?: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: accept ? { Accept: accept } : {} }, (res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      res.on('data', (d: Buffer) => {
        hash.update(d);
        bytes += d.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, sha256: `sha256:${hash.digest('hex')}`, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function fileDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/**
 * Checks a registry holds every image as `bench/NAME:1`: manifest digest by tag, every blob's
 * presence and size; the bytes of all blobs of the last image; `skopeo inspect --raw` of the first
 * and last image.
 */
async function verifyRegistry(registry: TestRegistry, layout: Layout, what: string): Promise<void> {
  const label = (s: string): string => `${what}: ${s}`;
  for (const image of layout.images) {
    const repo = `bench/${image.name}`;
    const m = await request('HEAD', `${registry.url}/v2/${repo}/manifests/1`, MANIFEST_MEDIA_TYPE);
    expect(m.status === 200, label(`${repo}:1 is missing (HEAD manifest → ${m.status})`));
    expect(m.headers['docker-content-digest'] === image.manifest.digest, label(`${repo}:1 has digest ${m.headers['docker-content-digest']}, expected ${image.manifest.digest}`));
    for (const blob of [image.config, ...image.layers]) {
      const b = await request('HEAD', `${registry.url}/v2/${repo}/blobs/${blob.digest}`);
      expect(b.status === 200, label(`${repo} lacks blob ${blob.digest} (HEAD → ${b.status})`));
      expect(Number(b.headers['content-length']) === blob.size, label(`${repo} blob ${blob.digest} is ${b.headers['content-length']} bytes, expected ${blob.size}`));
    }
  }
  const last = layout.images[layout.images.length - 1]!;
  const repo = `bench/${last.name}`;
  const m = await request('GET', `${registry.url}/v2/${repo}/manifests/1`, MANIFEST_MEDIA_TYPE);
  expect(m.sha256 === last.manifest.digest, label(`${repo}:1 manifest bytes hash to ${m.sha256}`));
  for (const blob of [last.config, ...last.layers]) {
    const b = await request('GET', `${registry.url}/v2/${repo}/blobs/${blob.digest}`);
    expect(b.status === 200 && b.sha256 === blob.digest && b.bytes === blob.size, label(`${repo} blob ${blob.digest}: GET → ${b.status}, ${b.bytes} bytes hashing to ${b.sha256}`));
  }
  for (const image of new Set([layout.images[0]!, last])) {
    const digest = await skopeoRawDigest(`docker://${registry.host}/bench/${image.name}:1`, ['--tls-verify=false']);
    expect(digest === image.manifest.digest, label(`skopeo inspect --raw docker://${registry.host}/bench/${image.name}:1 → ${digest}, expected ${image.manifest.digest}`));
  }
}

/**
 * Checks an OCI layout written by a copy: index.json names every image with its digest, every blob
 * is there with its size, every distinct blob hashes to its digest; `skopeo inspect --raw` of the
 * first and last image.
 */
async function verifyLayout(dir: string, layout: Layout, what: string): Promise<void> {
  const label = (s: string): string => `${what}: ${s}`;
  const index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as { manifests?: Array<Descriptor & { annotations?: Record<string, string> }> };
  const blobPath = (digest: string): string => path.join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  const wanted = new Map<string, number>();
  for (const image of layout.images) {
    const entry = (index.manifests ?? []).filter((d) => d.annotations?.[REF_NAME] === image.name).pop();
    expect(entry !== undefined, label(`index.json does not name ${image.name}`));
    expect(entry!.digest === image.manifest.digest, label(`${image.name} has digest ${entry!.digest}, expected ${image.manifest.digest}`));
    for (const blob of [image.manifest, image.config, ...image.layers]) wanted.set(blob.digest, blob.size);
  }
  for (const [digest, size] of wanted) {
    const s = await stat(blobPath(digest)).catch(() => undefined);
    expect(s?.isFile() === true && s.size === size, label(`blob ${digest} is ${s ? `${s.size} bytes` : 'missing'}, expected ${size} bytes`));
    const actual = await fileDigest(blobPath(digest));
    expect(actual === digest, label(`blob ${digest} hashes to ${actual}`));
  }
  const last = layout.images[layout.images.length - 1]!;
  for (const image of new Set([layout.images[0]!, last])) {
    const digest = await skopeoRawDigest(`oci:${dir}:${image.name}`);
    expect(digest === image.manifest.digest, label(`skopeo inspect --raw oci:${dir}:${image.name} → ${digest}, expected ${image.manifest.digest}`));
  }
}

// ---------------------------------------------------------------------------------------------
// Cases

const registries = new Set<TestRegistry>();

async function freshRegistry(): Promise<TestRegistry> {
  const r = await startRegistry({ auth: 'none' });
  registries.add(r);
  return r;
}

async function stopRegistry(r: TestRegistry): Promise<void> {
  registries.delete(r);
  await r.stop();
}

/** Fills a registry from a layout with skopeo (--preserve-digests), once, and checks it. */
async function pushWithSkopeo(layout: Layout, registry: TestRegistry): Promise<number> {
  const run = await runSkopeoCopies(
    ['--dest-tls-verify=false', '--preserve-digests'],
    layout.images.map((i) => [`oci:${layout.dir}:${i.name}`, `docker://${registry.host}/bench/${i.name}:1`]),
  );
  await verifyRegistry(registry, layout, `source registry filled by skopeo`);
  return run.wallMs;
}

type Tool = 'ferry' | 'skopeo';

interface Sample {
  wallMs: number;
  peakRssMb: number | null;
  ferrySeconds?: number;
  blobs?: FerryRun['blobs'];
}

interface CaseResult {
  name: string;
  ferry: Sample[];
  skopeo: Sample[];
  /** Set when a copy came out wrong or a command failed: the case stops there and its figures are void. */
  error?: string;
}

/**
 * Runs one case RUNS times, ferry first on even runs and skopeo first on odd ones. `once` does a
 * whole copy with one tool (its own set-up, timed copy, check and clean-up) and returns its sample.
 */
async function runCase(name: string, once: (tool: Tool, run: number) => Promise<Sample>): Promise<CaseResult> {
  const result: CaseResult = { name, ferry: [], skopeo: [] };
  for (let run = 0; run < RUNS; run++) {
    const order: Tool[] = run % 2 === 0 ? ['ferry', 'skopeo'] : ['skopeo', 'ferry'];
    const parts: string[] = [];
    for (const tool of order) {
      let sample: Sample;
      try {
        sample = await once(tool, run);
      } catch (err) {
        const kind = err instanceof BrokenCopy ? 'BROKEN COPY' : 'FAILED';
        result.error = `${kind} (${tool}, run ${run + 1}): ${err instanceof Error ? err.message : String(err)}`;
        console.log(`    ${name}, run ${run + 1}/${RUNS}: ${[...parts, result.error].join(', ')}`);
        return result;
      }
      result[tool].push(sample);
      parts.push(`${tool} ${(sample.wallMs / 1000).toFixed(2)} s${sample.peakRssMb === null ? '' : ` (${sample.peakRssMb.toFixed(0)} MB RSS)`}`);
    }
    console.log(`    ${name}, run ${run + 1}/${RUNS}: ${parts.join(', ')}; copies checked`);
  }
  return result;
}

/** Runs `check`; a BrokenCopy it throws also says how long the (wrong) copy took. */
async function checked(sample: Sample, check: () => Promise<void>): Promise<Sample> {
  try {
    await check();
  } catch (err) {
    if (err instanceof BrokenCopy) throw new BrokenCopy(`${err.message} (the copy took ${(sample.wallMs / 1000).toFixed(2)} s${sample.peakRssMb === null ? '' : `, ${sample.peakRssMb.toFixed(0)} MB peak RSS`})`);
    throw err;
  }
  return sample;
}

/** registry → layout for the images of `layout`, held in `source` as bench/NAME:1. */
function registryToLayout(layout: Layout, source: TestRegistry, mirror: boolean) {
  return async (tool: Tool, run: number): Promise<Sample> => {
    const out = path.join(scratchRoot!, `out-${tool}-${run + 1}`);
    try {
      let sample: Sample;
      if (tool === 'ferry') {
        const r = mirror
          ? await runFerry(['image', 'mirror', '-f', writeMapping(`r2l-${run + 1}`, layout.images.map((i) => `${source.host}/bench/${i.name}:1=oci:${out}:${i.name}`))])
          : await runFerry(['image', 'copy', `docker://${source.host}/bench/${layout.images[0]!.name}:1`, `oci:${out}:${layout.images[0]!.name}`]);
        checkEnvelope(r.envelope, layout);
        sample = { wallMs: r.wallMs, peakRssMb: r.peakRssMb, ferrySeconds: r.ferrySeconds, blobs: r.blobs };
      } else {
        const r = await runSkopeoCopies(
          ['--src-tls-verify=false'],
          layout.images.map((i) => [`docker://${source.host}/bench/${i.name}:1`, `oci:${out}:${i.name}`]),
        );
        sample = { wallMs: r.wallMs, peakRssMb: r.peakRssMb };
      }
      return await checked(sample, () => verifyLayout(out, layout, `${tool} registry → layout, run ${run + 1}`));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  };
}

/** layout → a fresh registry (one per tool and run), as bench/NAME:1. */
function layoutToRegistry(layout: Layout, mirror: boolean) {
  return async (tool: Tool, run: number): Promise<Sample> => {
    const dest = await freshRegistry();
    try {
      let sample: Sample;
      if (tool === 'ferry') {
        const r = mirror
          ? await runFerry(['image', 'mirror', '-f', writeMapping(`l2r-${run + 1}`, layout.images.map((i) => `oci:${layout.dir}:${i.name}=${dest.host}/bench/${i.name}:1`))])
          : await runFerry(['image', 'copy', `oci:${layout.dir}:${layout.images[0]!.name}`, `docker://${dest.host}/bench/${layout.images[0]!.name}:1`]);
        checkEnvelope(r.envelope, layout);
        sample = { wallMs: r.wallMs, peakRssMb: r.peakRssMb, ferrySeconds: r.ferrySeconds, blobs: r.blobs };
      } else {
        const r = await runSkopeoCopies(
          ['--dest-tls-verify=false'],
          layout.images.map((i) => [`oci:${layout.dir}:${i.name}`, `docker://${dest.host}/bench/${i.name}:1`]),
        );
        sample = { wallMs: r.wallMs, peakRssMb: r.peakRssMb };
      }
      return await checked(sample, () => verifyRegistry(dest, layout, `${tool} layout → registry, run ${run + 1}`));
    } finally {
      await stopRegistry(dest);
    }
  };
}

function writeMapping(label: string, lines: string[]): string {
  const file = path.join(scratchRoot!, `mapping-${label}.txt`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** ferry's own account must agree: every image copied, with the source digest. */
function checkEnvelope(envelope: FerryEnvelope, layout: Layout): void {
  const r = envelope.result!;
  if (r.images !== undefined) {
    expect((r.failed ?? []).length === 0, `ferry reported failures: ${JSON.stringify(r.failed)}`);
    expect(r.images.length === layout.images.length, `ferry copied ${r.images.length} images, expected ${layout.images.length}`);
    const want = new Set(layout.images.map((i) => i.manifest.digest));
    for (const image of r.images) expect(want.has(image.digest), `ferry reports digest ${image.digest} for ${image.source}`);
  } else {
    expect(r.digest === layout.images[0]!.manifest.digest, `ferry reports digest ${r.digest}, expected ${layout.images[0]!.manifest.digest}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const maxOf = (xs: Array<number | null>): number | null => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length === 0 ? null : Math.max(...v);
};
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
const round = (x: number, digits = 2): number => Number(x.toFixed(digits));
const mib = (bytes: number): string => (bytes / MiB).toFixed(1);

interface Summary {
  name: string;
  /** Why the case's figures are void (a broken copy or a failed command). */
  error: string | undefined;
  ferryMedianS: number;
  skopeoMedianS: number;
  ratio: number;
  ferryMBps: number;
  skopeoMBps: number;
  ferryPeakRssMb: number;
  skopeoPeakRssMb: number | null;
  ferryRunsS: number[];
  skopeoRunsS: number[];
  ferryReportedS: number[];
  ferryBlobs: FerryRun['blobs'] | undefined;
}

function summarize(c: CaseResult, bytes: number): Summary {
  const f = c.ferry.length > 0 ? median(c.ferry.map((s) => s.wallMs)) / 1000 : NaN;
  const s = c.skopeo.length > 0 ? median(c.skopeo.map((x) => x.wallMs)) / 1000 : NaN;
  return {
    name: c.name,
    error: c.error,
    ferryMedianS: f,
    skopeoMedianS: s,
    ratio: f / s,
    ferryMBps: bytes / MiB / f,
    skopeoMBps: bytes / MiB / s,
    ferryPeakRssMb: maxOf(c.ferry.map((x) => x.peakRssMb)) ?? NaN,
    skopeoPeakRssMb: maxOf(c.skopeo.map((x) => x.peakRssMb)),
    ferryRunsS: c.ferry.map((x) => round(x.wallMs / 1000)),
    skopeoRunsS: c.skopeo.map((x) => round(x.wallMs / 1000)),
    ferryReportedS: c.ferry.map((x) => round(x.ferrySeconds ?? 0)),
    ferryBlobs: c.ferry[0]?.blobs,
  };
}

const ratioOk = (s: Summary): boolean => s.error === undefined && s.ratio <= TARGET_RATIO;
const rssOk = (s: Summary): boolean => s.error === undefined && s.ferryPeakRssMb <= TARGET_RSS_MB;
/** PASS/FAIL, or FAIL with the reason when the case is void. */
const judged = (s: Summary, ok: boolean, value: string): string => (s.error !== undefined ? `FAIL (${s.error.split(' ')[0] === 'BROKEN' ? 'copy broken' : 'command failed'})` : `${verdict(ok)} (${value})`);

function table(rows: Summary[], ratioTarget: boolean): string[] {
  const header = ['direction', 'ferry s', 'skopeo s', 'ferry/skopeo', 'ferry MB/s', 'skopeo MB/s', 'ferry peak RSS MB', 'skopeo peak RSS MB'];
  const body = rows.map((r) =>
    r.error !== undefined
      ? [r.name, ...Array.from({ length: header.length - 1 }, (_, i) => (i === 2 ? (r.error!.startsWith('BROKEN') ? 'BROKEN' : 'FAILED') : '-'))]
      : [
          r.name,
          r.ferryMedianS.toFixed(2),
          r.skopeoMedianS.toFixed(2),
          `${r.ratio.toFixed(2)}${ratioTarget ? ` ${verdict(ratioOk(r))}` : ''}`,
          r.ferryMBps.toFixed(1),
          r.skopeoMBps.toFixed(1),
          `${r.ferryPeakRssMb.toFixed(1)} ${verdict(rssOk(r))}`,
          r.skopeoPeakRssMb === null ? 'n/a' : r.skopeoPeakRssMb.toFixed(1),
        ],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => `    ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`;
  const notes = rows.filter((r) => r.error !== undefined).map((r) => `    ${r.name}: ${r.error}`);
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line), ...notes];
}

const orNull = (x: number, digits = 2): number | null => (Number.isFinite(x) ? round(x, digits) : null);

function jsonCase(s: Summary, bytes: number, ratioTarget: boolean) {
  return {
    bytes,
    ...(s.error !== undefined ? { error: s.error } : {}),
    ferry: { medianS: orNull(s.ferryMedianS), runsS: s.ferryRunsS, reportedCopyS: s.ferryReportedS, mbPerS: orNull(s.ferryMBps, 1), peakRssMb: orNull(s.ferryPeakRssMb, 1), blobs: s.ferryBlobs ?? null },
    skopeo: { medianS: orNull(s.skopeoMedianS), runsS: s.skopeoRunsS, mbPerS: orNull(s.skopeoMBps, 1), peakRssMb: s.skopeoPeakRssMb === null ? null : round(s.skopeoPeakRssMb, 1) },
    ratio: orNull(s.ratio, 3),
    targets: {
      ...(ratioTarget ? { ratio: { limit: TARGET_RATIO, value: orNull(s.ratio, 3), pass: ratioOk(s) } } : {}),
      peakRssMb: { limit: TARGET_RSS_MB, value: orNull(s.ferryPeakRssMb, 1), pass: rssOk(s) },
    },
  };
}

// ---------------------------------------------------------------------------------------------

function checkDisk(dir: string): void {
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  if (free < NEEDED_DISK_BYTES) {
    throw new Error(
      `not enough free disk space in ${dir}: ${(free / GiB).toFixed(1)} GiB free, about ${NEEDED_DISK_BYTES / GiB} GiB needed ` +
        '(source layout, source registry, one copy at a time, and the same again for the 1 GiB single-layer case). ' +
        'Free some space or point TMPDIR at a larger disk.',
    );
  }
}

async function checkTools(): Promise<string> {
  const r = await exec('skopeo', ['--version'], process.env).catch((err: Error) => ({ code: -1, stdout: Buffer.from(''), stderr: err.message, wallMs: 0 }));
  if (r.code !== 0) throw new Error(`skopeo is needed (apt-get install skopeo): ${r.stderr.trim()}`);
  return r.stdout.toString('utf8').trim();
}

/** The commit under test, and whether src/ had changes not yet committed. */
async function codeVersion(): Promise<{ commit: string; srcDirty: boolean }> {
  const head = await exec('git', ['rev-parse', '--short', 'HEAD'], process.env).catch(() => undefined);
  const status = await exec('git', ['status', '--porcelain', '--', 'src'], process.env).catch(() => undefined);
  return { commit: head?.code === 0 ? head.stdout.toString('utf8').trim() : 'unknown', srcDirty: status?.code === 0 && status.stdout.length > 0 };
}

/** Identifies the compiled CLI: a rebuild (rm -rf dist && tsc) during the run gives a new inode. */
const distIdentity = (): string => {
  try {
    const s = statSync(path.join(REPO_ROOT, 'dist', 'src'));
    return `${s.ino}:${s.birthtimeMs}`;
  } catch {
    return 'missing';
  }
};

async function main(): Promise<void> {
  const skopeoVersion = await checkTools();
  const code = await codeVersion();
  const distAtStart = distIdentity();
  checkDisk(os.tmpdir());
  scratchRoot = mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-copy-'));
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: round(os.totalmem() / GiB, 1), node: process.version, platform: `${os.platform()} ${os.arch()}` };
  console.log('ferry image copy benchmark');
  console.log(`  machine            ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, node ${process.version}, ${skopeoVersion}`);
  console.log(`  ferry              commit ${code.commit}${code.srcDirty ? ' + uncommitted changes in src/' : ''}`);
  console.log(`  runs per case      ${RUNS} (FERRY_BENCH_RUNS), median wall time reported; scratch ${scratchRoot}`);

  // 20 images with shared layers.
  const layout = await writeLayout(path.join(scratchRoot, 'layout'), imageSpecs());
  const layerCount = layout.blobs.size - 2 * layout.images.length;
  console.log(
    `  generated layout   ${layout.images.length} images, ${layerCount} distinct layers, ${mib(layout.uniqueBytes)} MiB unique ` +
      `(${mib(layout.logicalBytes)} MiB summed over images) in ${(layout.ms / 1000).toFixed(1)} s; manifests sha256 ${layout.fingerprint.slice(0, 16)}`,
  );
  let source = await freshRegistry();
  const pushMs = await pushWithSkopeo(layout, source);
  console.log(`  source registry    ${source.host}, filled by skopeo --preserve-digests in ${(pushMs / 1000).toFixed(1)} s; digests checked`);

  const r2l = await runCase('registry → layout', registryToLayout(layout, source, true));
  const l2r = await runCase('layout → registry', layoutToRegistry(layout, true));
  await stopRegistry(source);
  rmSync(layout.dir, { recursive: true, force: true });

  // One image, one 1 GiB layer.
  const big = await writeLayout(path.join(scratchRoot, 'big'), [{ name: 'big', layers: [{ label: 'big-1gib', size: BIG_LAYER }] }]);
  console.log(`  generated layout   1 image with one layer of ${mib(BIG_LAYER)} MiB in ${(big.ms / 1000).toFixed(1)} s`);
  source = await freshRegistry();
  const bigPushMs = await pushWithSkopeo(big, source);
  console.log(`  source registry    ${source.host}, filled by skopeo --preserve-digests in ${(bigPushMs / 1000).toFixed(1)} s; digests checked`);
  const bigR2l = await runCase('1 GiB layer, registry → layout', registryToLayout(big, source, false));
  const bigL2r = await runCase('1 GiB layer, layout → registry', layoutToRegistry(big, false));
  await stopRegistry(source);

  const s1 = summarize(r2l, layout.uniqueBytes);
  const s2 = summarize(l2r, layout.uniqueBytes);
  const s3 = summarize(bigR2l, big.uniqueBytes);
  const s4 = summarize(bigL2r, big.uniqueBytes);
  const lines = [
    '',
    `  20 images, ${mib(layout.uniqueBytes)} MiB unique: ferry image mirror -f vs skopeo copy per image, sequentially (median of ${RUNS}; MB = 2^20 bytes of unique blobs)`,
    ...table([s1, s2], true),
    '',
    `  one image, one ${mib(BIG_LAYER)} MiB layer: ferry image copy vs skopeo copy (median of ${RUNS}; no time target)`,
    ...table([s3, s4], false),
    '',
    `  ferry blobs (run 1): r→l ${JSON.stringify(s1.ferryBlobs ?? null)}; l→r ${JSON.stringify(s2.ferryBlobs ?? null)}`,
    `  ferry wall time per run: r→l ${s1.ferryRunsS.join(', ') || '-'} s (copy itself ${s1.ferryReportedS.join(', ') || '-'} s); l→r ${s2.ferryRunsS.join(', ') || '-'} s (copy itself ${s2.ferryReportedS.join(', ') || '-'} s)`,
    `  skopeo wall time per run: r→l ${s1.skopeoRunsS.join(', ') || '-'} s; l→r ${s2.skopeoRunsS.join(', ') || '-'} s`,
    '  targets',
    ...[s1, s2].map((s) => `    ${s.name.padEnd(30)} ferry/skopeo <= ${TARGET_RATIO}       ${judged(s, ratioOk(s), s.ratio.toFixed(2))}`),
    ...[s1, s2, s3, s4].map((s) => `    ${s.name.padEnd(30)} ferry peak RSS <= ${TARGET_RSS_MB} MB  ${judged(s, rssOk(s), `${s.ferryPeakRssMb.toFixed(1)} MB`)}`),
  ];
  console.log(lines.join('\n'));

  const distRebuilt = distIdentity() !== distAtStart;
  const results = {
    benchmark: 'copy',
    date: new Date().toISOString(),
    machine: { ...machine, skopeo: skopeoVersion },
    ferry: { ...code, distRebuiltDuringRun: distRebuilt },
    runs: RUNS,
    generated: {
      images: layout.images.length,
      distinctLayers: layerCount,
      uniqueBytes: layout.uniqueBytes,
      logicalBytes: layout.logicalBytes,
      generationMs: Math.round(layout.ms),
      skopeoPushMs: Math.round(pushMs),
      manifestsSha256: layout.fingerprint,
      singleLayer: { bytes: big.images[0]!.layers[0]!.size, generationMs: Math.round(big.ms), skopeoPushMs: Math.round(bigPushMs), manifestDigest: big.images[0]!.manifest.digest },
    },
    registryToLayout: jsonCase(s1, layout.uniqueBytes, true),
    layoutToRegistry: jsonCase(s2, layout.uniqueBytes, true),
    singleLayerRegistryToLayout: jsonCase(s3, big.uniqueBytes, false),
    singleLayerLayoutToRegistry: jsonCase(s4, big.uniqueBytes, false),
    note: 'Wall times include process start-up (node + oclif for ferry; one skopeo process per image). skopeo runs sequentially, one image per invocation; ferry mirrors all 20 in one process.',
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const resultsFile = path.join(RESULTS_DIR, 'copy.json');
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`  results written to ${path.relative(REPO_ROOT, resultsFile)}`);
  if (distRebuilt) {
    console.error('bench:copy: WARNING: dist/ was rebuilt while the benchmark ran; the figures may mix two versions of ferry');
  }
  const voided = [s1, s2, s3, s4].filter((s) => s.error !== undefined);
  if (voided.length > 0) {
    console.error(`bench:copy: ${voided.length} case(s) without valid figures (a broken copy or a failed command): ${voided.map((s) => s.name).join('; ')}`);
    process.exitCode = 1;
  }
}

async function cleanUp(): Promise<void> {
  for (const r of [...registries]) await stopRegistry(r).catch(() => undefined);
  if (scratchRoot !== undefined) rmSync(scratchRoot, { recursive: true, force: true });
}

process.once('SIGINT', () => {
  console.error('bench:copy interrupted; cleaning up');
  // The registry helper kills its registries and removes their storage on exit.
  if (scratchRoot !== undefined) rmSync(scratchRoot, { recursive: true, force: true });
  process.exit(130);
});

try {
  await main();
} catch (err) {
  const kind = err instanceof BrokenCopy ? 'broken copy' : 'failed';
  console.error(`bench:copy ${kind}: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
