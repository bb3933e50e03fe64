/**
 * Pack benchmark (`npm run bench:pack`): `ferry pack` against skopeo + tar, peak RSS as the set
 * grows, and `ferry verify` against `sha256sum`.
 *
 * 1. Generates the copy benchmark's image set (bench/copy/image-set.ts: 20 images, about 1 GiB of
 *    unique layer bytes, shared layers) and has skopeo push it into a local registry, checked.
 * 2. Builds two catalog images with `ferry registry build --from BASE --to REGISTRY/olm/…:v1`
 *    from generated package manifests (one bundle per five images; relatedImages name the images
 *    by digest): `bench` naming all 20 images, `bench-small` naming the first 5. BASE is a tiny
 *    one-layer image pushed beside them.
 * 3. pack: `ferry pack --catalog REGISTRY/olm/bench:v1 -o OUT/bench.tar --cache-dir FRESH --json`
 *    against skopeo copying the catalog and each of the 20 images (`docker://REF` →
 *    `oci:DIR:REF`, one process per image, one after another, all into one layout) then
 *    `tar -cf OUT.tar -C DIR .`. Wall time of the whole; ratio ferry / skopeo (target ≤ 0.6) and
 *    ferry's peak RSS (target ≤ 200 MB).
 * 4. RSS as the set grows: `ferry pack` of the 5-image catalog; its peak RSS against the 20-image
 *    one (flat: at most 15 % more for four times the images).
 * 5. Volumes: `ferry pack --volume-size 256MiB` once, checked like the rest.
 * 6. verify: `ferry verify ARCHIVE` against `sha256sum ARCHIVE` on the single-file archive, and
 *    `ferry verify NAME.001.tar` against `sha256sum` of every volume; twice each, alternately,
 *    the second (warm, page cache) run counted; bytes per second, ratio ferry / sha256sum (target
 *    ≥ 0.8). Then one byte of a blob is flipped and ferry verify must fail. When this build has
 *    no `verify` command the case is reported as skipped, not passed.
 *
 * pack runs FERRY_BENCH_RUNS times (default 3), ferry and skopeo in alternating order, each with a
 * private empty HOME and no auth file, a fresh empty cache for every ferry run; medians reported.
 * Every archive is checked (bench/pack/check-archive.ts: volumes, identity, checksums of every
 * member, metadata, index.json naming each image by its source reference and digest, exactly the
 * expected blobs hashing to their names, skopeo reading images out of it), and so is skopeo's
 * layout. A broken archive or a failing command voids its case and the process exits 1; a missed
 * target prints FAIL without changing the exit code. Figures go to bench/results/pack.json.
 *
 * FERRY_BENCH_IMAGES (2..20, default 20) packs fewer images, to try the benchmark quickly; the
 * figures of such a run are not the benchmark's.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BrokenCopy } from './copy/broken-copy.js';
import { GiB, MiB } from './copy/byte-units.js';
import { checkDisk, checkTools } from './copy/check-prerequisites.js';
import { codeVersion, distIdentity } from './copy/code-under-test.js';
import { mustExec } from './copy/exec.js';
import { pushWithSkopeo } from './copy/fill-registry.js';
import { writeLayout, type BuiltImage, type Layout } from './copy/generate-layout.js';
import { IMAGES as STANDARD_IMAGES, imageSpecs, SEED } from './copy/image-set.js';
import { freshRegistry, stopRegistry } from './copy/local-registries.js';
import { REPO_ROOT, RESULTS_DIR } from './copy/repo-paths.js';
import { runFerryCommand, runSkopeoCopies } from './copy/run-tools.js';
import { runBenchmark } from './copy/run-benchmark.js';
import { createScratchDir, scratchPath } from './copy/scratch-dir.js';
import { intFromEnv } from './copy/settings-from-env.js';
import { maxOf, median, orNull, round, verdict } from './copy/stats.js';
import { archiveContents, buildBenchCatalog, pushBaseImage, type BenchCatalog } from './pack/catalog-image.js';
import { verifyFerryArchive, verifySkopeoPack, type ArchiveFacts, type ExpectedArchive } from './pack/check-archive.js';
import { measureVerify, verifyAvailable, type VerifyThroughput } from './pack/verify-throughput.js';

// ---------------------------------------------------------------------------------------------
// Settings

const IMAGES = intFromEnv('FERRY_BENCH_IMAGES', STANDARD_IMAGES, 2, STANDARD_IMAGES);
const SMALL_IMAGES = Math.ceil(IMAGES / 4);
const RUNS = intFromEnv('FERRY_BENCH_RUNS', 3, 1, 50);
const VOLUME_SIZE = '256MiB';
const TARGET_RATIO = 0.6;
const TARGET_RSS_MB = 200;
/** "Flat": the full set's peak RSS at most this many times the small set's. */
const TARGET_RSS_GROWTH = 1.15;
const TARGET_VERIFY_RATIO = 0.8;
/** Source layout, registry, one ferry cache + archive, the kept archive and volumes, one skopeo layout + tar. */
const NEEDED_DISK_BYTES = 8 * GiB;

// ---------------------------------------------------------------------------------------------
// Cases

type Tool = 'ferry' | 'skopeo';

interface PackEnvelope {
  identity: string;
  files: string[];
  members: number;
  bytes: number;
  images: number;
  missing: unknown[];
  invalid: unknown[];
}

interface FerrySample {
  wallMs: number;
  peakRssMb: number;
  archive: ArchiveFacts;
}

interface SkopeoSample {
  wallMs: number;
  peakRssMb: number | null;
  copyMs: number;
  tarMs: number;
  tarBytes: number;
}

/** A set of images to pack: its catalog and what the archive must hold. */
interface PackSet {
  label: string;
  layout: Layout;
  catalog: BenchCatalog;
  expected: ExpectedArchive;
  /** Sum of the blob sizes the archive must hold. */
  blobBytes: number;
}

function packSet(label: string, layout: Layout, images: readonly BuiltImage[], catalog: BenchCatalog): PackSet {
  return { label, layout: { ...layout, images: [...images] }, catalog, ...archiveContents(images, catalog) };
}

/** Why a run failed: BROKEN (wrong output) or FAILED (a command failed). */
function failure(err: unknown, where: string): string {
  return `${err instanceof BrokenCopy ? 'BROKEN ARCHIVE' : 'FAILED'} (${where}): ${err instanceof Error ? err.message : String(err)}`;
}

/**
 * One `ferry pack` of `set` into a fresh output folder with a fresh empty cache; the archive is
 * checked. With `keepAs`, the output folder is kept under that name (for the verify case).
 */
async function ferryPack(set: PackSet, label: string, options: { volumes?: boolean; keepAs?: string } = {}): Promise<FerrySample & { files: string[] }> {
  const out = scratchPath(`ferry-out-${label}`);
  const cache = scratchPath(`ferry-cache-${label}`);
  mkdirSync(out);
  mkdirSync(cache);
  let kept = false;
  try {
    const r = await runFerryCommand<PackEnvelope>([
      'pack',
      '--catalog',
      set.catalog.catalog.ref,
      '-o',
      path.join(out, 'bench.tar'),
      '--cache-dir',
      cache,
      ...(options.volumes ? ['--volume-size', VOLUME_SIZE] : []),
    ]);
    rmSync(cache, { recursive: true, force: true });
    const result = r.envelope.result;
    const what = `ferry pack (${label})`;
    const describe = `the pack took ${(r.wallMs / 1000).toFixed(2)} s, ${r.peakRssMb.toFixed(0)} MB peak RSS`;
    try {
      if (result.images !== set.catalog.images.length || result.missing.length > 0 || result.invalid.length > 0) {
        throw new BrokenCopy(`${what}: reports ${result.images} images, ${result.missing.length} missing, ${result.invalid.length} invalid; expected ${set.catalog.images.length}, none missing`);
      }
      if (!options.volumes && result.files.length !== 1) throw new BrokenCopy(`${what}: wrote ${result.files.length} files, expected one`);
      const archive = await verifyFerryArchive(result.files, result.identity, set.expected, what);
      let files = result.files;
      if (options.keepAs !== undefined) {
        const keep = scratchPath(options.keepAs);
        rmSync(keep, { recursive: true, force: true });
        renameSync(out, keep);
        kept = true;
        files = result.files.map((f) => path.join(keep, path.relative(out, f)));
      }
      return { wallMs: r.wallMs, peakRssMb: r.peakRssMb, archive, files };
    } catch (err) {
      if (err instanceof BrokenCopy) throw new BrokenCopy(`${err.message} (${describe})`);
      throw err;
    }
  } finally {
    rmSync(cache, { recursive: true, force: true });
    if (!kept) rmSync(out, { recursive: true, force: true });
  }
}

/** skopeo copies the catalog and each image into one layout, one process after another, then tar makes one file of it; checked. */
async function skopeoPack(set: PackSet, label: string): Promise<SkopeoSample> {
  const dir = scratchPath(`skopeo-layout-${label}`);
  const tarFile = scratchPath(`skopeo-${label}.tar`);
  try {
    const started = performance.now();
    const copies = await runSkopeoCopies(
      ['--src-tls-verify=false'],
      [set.catalog.catalog, ...set.catalog.images].map((i): [string, string] => [`docker://${i.ref}`, `oci:${dir}:${i.ref}`]),
    );
    const tar = await mustExec('tar', ['-cf', tarFile, '-C', dir, '.'], process.env);
    const wallMs = performance.now() - started;
    try {
      const tarBytes = await verifySkopeoPack(dir, tarFile, set.layout, set.expected, `skopeo + tar (${label})`);
      return { wallMs, peakRssMb: copies.peakRssMb, copyMs: copies.wallMs, tarMs: tar.wallMs, tarBytes };
    } catch (err) {
      if (err instanceof BrokenCopy) throw new BrokenCopy(`${err.message} (skopeo + tar took ${(wallMs / 1000).toFixed(2)} s)`);
      throw err;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(tarFile, { force: true });
  }
}

interface PackCase {
  ferry: FerrySample[];
  skopeo: SkopeoSample[];
  error?: string;
  /** The last ferry run's archive, kept for the verify case. */
  keptArchive?: string[];
}

/** RUNS runs of ferry pack and skopeo + tar, ferry first on even runs and skopeo first on odd ones. */
async function packCase(set: PackSet): Promise<PackCase> {
  const result: PackCase = { ferry: [], skopeo: [] };
  for (let run = 0; run < RUNS; run++) {
    const order: Tool[] = run % 2 === 0 ? ['ferry', 'skopeo'] : ['skopeo', 'ferry'];
    const parts: string[] = [];
    for (const tool of order) {
      try {
        if (tool === 'ferry') {
          const s = await ferryPack(set, `${set.label}-${run + 1}`, run === RUNS - 1 ? { keepAs: 'kept-single' } : {});
          if (run === RUNS - 1) result.keptArchive = s.files;
          result.ferry.push(s);
          parts.push(`ferry ${(s.wallMs / 1000).toFixed(2)} s (${s.peakRssMb.toFixed(0)} MB RSS)`);
        } else {
          const s = await skopeoPack(set, `${set.label}-${run + 1}`);
          result.skopeo.push(s);
          parts.push(`skopeo + tar ${(s.wallMs / 1000).toFixed(2)} s (copies ${(s.copyMs / 1000).toFixed(2)} s, tar ${(s.tarMs / 1000).toFixed(2)} s)`);
        }
      } catch (err) {
        result.error = failure(err, `${tool}, run ${run + 1}`);
        console.log(`    pack ${set.label}, run ${run + 1}/${RUNS}: ${[...parts, result.error].join(', ')}`);
        return result;
      }
    }
    console.log(`    pack ${set.label}, run ${run + 1}/${RUNS}: ${parts.join(', ')}; outputs checked`);
  }
  return result;
}

/** RUNS runs of ferry pack alone (the small set, for peak RSS). */
async function ferryOnlyCase(set: PackSet): Promise<{ ferry: FerrySample[]; error?: string }> {
  const ferry: FerrySample[] = [];
  for (let run = 0; run < RUNS; run++) {
    try {
      const s = await ferryPack(set, `${set.label}-${run + 1}`);
      ferry.push(s);
      console.log(`    pack ${set.label}, run ${run + 1}/${RUNS}: ferry ${(s.wallMs / 1000).toFixed(2)} s (${s.peakRssMb.toFixed(0)} MB RSS); archive checked`);
    } catch (err) {
      const error = failure(err, `ferry, run ${run + 1}`);
      console.log(`    pack ${set.label}, run ${run + 1}/${RUNS}: ${error}`);
      return { ferry, error };
    }
  }
  return { ferry };
}

type VerifyCase =
  | { status: 'measured'; single: VerifyThroughput; volumes: VerifyThroughput }
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; error: string; single?: VerifyThroughput };

async function verifyCase(single: string[] | undefined, volumes: string[] | undefined): Promise<VerifyCase> {
  if (single === undefined || volumes === undefined) return { status: 'skipped', reason: 'no valid archive to verify (the pack case failed)' };
  if (!(await verifyAvailable())) return { status: 'skipped', reason: 'verify not available (`ferry verify --help` does not exit 0 in this build)' };
  let s: VerifyThroughput | undefined;
  try {
    s = await measureVerify(single, 'single-file archive');
    console.log(`    verify single file: sha256sum ${(s.sha256sumMs / 1000).toFixed(2)} s, ferry verify ${(s.ferryMs / 1000).toFixed(2)} s (warm); flipped byte → exit ${s.corrupted.exitCode}`);
    const v = await measureVerify(volumes, 'volumes');
    console.log(`    verify ${plural(v.files, 'volume')}: sha256sum ${(v.sha256sumMs / 1000).toFixed(2)} s, ferry verify ${(v.ferryMs / 1000).toFixed(2)} s (warm); flipped byte → exit ${v.corrupted.exitCode}`);
    return { status: 'measured', single: s, volumes: v };
  } catch (err) {
    const error = `${err instanceof BrokenCopy ? 'BROKEN VERIFY' : 'FAILED'}: ${err instanceof Error ? err.message : String(err)}`;
    console.log(`    verify: ${error}`);
    return { status: 'failed', error, ...(s ? { single: s } : {}) };
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const mib = (bytes: number): string => (bytes / MiB).toFixed(1);
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const seconds = (ms: number): number => round(ms / 1000);

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => `    ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const skopeoVersion = await checkTools();
  const code = await codeVersion();
  const distAtStart = distIdentity();
  checkDisk(os.tmpdir(), NEEDED_DISK_BYTES, 'source layout, source registry, a ferry cache and archive, the kept archive and its volumes, a skopeo layout and its tar');
  const scratchRoot = createScratchDir('pack');
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: round(os.totalmem() / GiB, 1), node: process.version, platform: `${os.platform()} ${os.arch()}` };
  console.log('ferry pack benchmark');
  console.log(`  machine            ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, node ${process.version}, ${skopeoVersion}`);
  console.log(`  ferry              commit ${code.commit}${code.srcDirty ? ' + uncommitted changes in src/' : ''}`);
  console.log(`  runs per case      ${RUNS} (FERRY_BENCH_RUNS), median wall time reported; scratch ${scratchRoot}`);
  if (IMAGES !== STANDARD_IMAGES) console.log(`  NOTE               FERRY_BENCH_IMAGES=${IMAGES}: not the benchmark's ${STANDARD_IMAGES}-image set; figures are for trying it out only`);

  const layout = await writeLayout(scratchPath('layout'), SEED, imageSpecs(IMAGES));
  const layerCount = layout.blobs.size - 2 * layout.images.length;
  console.log(
    `  generated layout   ${layout.images.length} images, ${layerCount} distinct layers, ${mib(layout.uniqueBytes)} MiB unique ` +
      `(${mib(layout.logicalBytes)} MiB summed over images) in ${(layout.ms / 1000).toFixed(1)} s; manifests sha256 ${layout.fingerprint.slice(0, 16)}`,
  );
  const registry = await freshRegistry();
  const pushMs = await pushWithSkopeo(layout, registry);
  rmSync(layout.dir, { recursive: true, force: true });
  console.log(`  source registry    ${registry.host}, filled by skopeo --preserve-digests in ${(pushMs / 1000).toFixed(1)} s; digests checked`);
  const base = await pushBaseImage(scratchPath('base'), registry);
  const packages = scratchPath('packages');
  const fullCatalog = await buildBenchCatalog(packages, 'bench', registry, layout.images, base);
  const smallCatalog = await buildBenchCatalog(packages, 'bench-small', registry, layout.images.slice(0, SMALL_IMAGES), base);
  const full = packSet(plural(IMAGES, 'image'), layout, layout.images, fullCatalog);
  const small = packSet(plural(SMALL_IMAGES, 'image'), layout, layout.images.slice(0, SMALL_IMAGES), smallCatalog);
  console.log(
    `  catalogs           ${fullCatalog.catalog.ref} (${plural(fullCatalog.bundles, 'bundle')} naming ${plural(IMAGES, 'image')} by digest), ` +
      `${smallCatalog.catalog.ref} (${plural(SMALL_IMAGES, 'image')}); built by ferry registry build on ${base}`,
  );

  const pack = await packCase(full);
  const packSmall = await ferryOnlyCase(small);
  let volumes: { sample?: FerrySample & { files: string[] }; error?: string } = {};
  try {
    volumes = { sample: await ferryPack(full, 'volumes', { volumes: true, keepAs: 'kept-volumes' }) };
    console.log(`    pack ${full.label} --volume-size ${VOLUME_SIZE}: ferry ${(volumes.sample!.wallMs / 1000).toFixed(2)} s (${volumes.sample!.peakRssMb.toFixed(0)} MB RSS), ${volumes.sample!.files.length} volume(s); checked`);
  } catch (err) {
    volumes = { error: failure(err, 'ferry --volume-size') };
    console.log(`    pack ${full.label} --volume-size ${VOLUME_SIZE}: ${volumes.error}`);
  }
  const verify = await verifyCase(pack.error === undefined ? pack.keptArchive : undefined, volumes.sample?.files);
  await stopRegistry(registry);

  // Figures.
  const ferryS = pack.ferry.length > 0 ? median(pack.ferry.map((s) => s.wallMs)) / 1000 : NaN;
  const skopeoS = pack.skopeo.length > 0 ? median(pack.skopeo.map((s) => s.wallMs)) / 1000 : NaN;
  const ratio = ferryS / skopeoS;
  const ferryRss = maxOf(pack.ferry.map((s) => s.peakRssMb)) ?? NaN;
  const smallRss = maxOf(packSmall.ferry.map((s) => s.peakRssMb)) ?? NaN;
  const smallS = packSmall.ferry.length > 0 ? median(packSmall.ferry.map((s) => s.wallMs)) / 1000 : NaN;
  const growth = ferryRss / smallRss;
  const packOk = pack.error === undefined;
  const ratioOk = packOk && ratio <= TARGET_RATIO;
  const rssOk = packOk && ferryRss <= TARGET_RSS_MB;
  const flatOk = packOk && packSmall.error === undefined && growth <= TARGET_RSS_GROWTH;
  const verifyOk = (v: VerifyThroughput): boolean => v.ratio >= TARGET_VERIFY_RATIO;
  const archiveBytes = pack.ferry[0]?.archive.bytes ?? NaN;
  const tarBytes = pack.skopeo[0]?.tarBytes ?? NaN;

  const lines = [
    '',
    `  pack: ${full.label} + catalog, ${mib(full.blobBytes)} MiB of blobs (median of ${RUNS}; MB = 2^20 bytes)`,
    ...table(
      ['case', 'ferry s', 'skopeo+tar s', 'ferry/skopeo', 'ferry MB/s', 'skopeo+tar MB/s', 'ferry peak RSS MB', 'skopeo peak RSS MB'],
      [
        packOk
          ? [
              `pack, ${full.label}`,
              ferryS.toFixed(2),
              skopeoS.toFixed(2),
              `${ratio.toFixed(2)} ${verdict(ratioOk)}`,
              (full.blobBytes / MiB / ferryS).toFixed(1),
              (full.blobBytes / MiB / skopeoS).toFixed(1),
              `${ferryRss.toFixed(1)} ${verdict(rssOk)}`,
              maxOf(pack.skopeo.map((s) => s.peakRssMb))?.toFixed(1) ?? 'n/a',
            ]
          : [`pack, ${full.label}`, '-', '-', pack.error!.startsWith('BROKEN') ? 'BROKEN' : 'FAILED', '-', '-', '-', '-'],
        packSmall.error === undefined
          ? [`pack, ${small.label} (ferry only)`, smallS.toFixed(2), '-', '-', (small.blobBytes / MiB / smallS).toFixed(1), '-', smallRss.toFixed(1), '-']
          : [`pack, ${small.label} (ferry only)`, '-', '-', packSmall.error.startsWith('BROKEN') ? 'BROKEN' : 'FAILED', '-', '-', '-', '-'],
        volumes.sample !== undefined
          ? [`pack, ${full.label}, --volume-size ${VOLUME_SIZE} (1 run)`, (volumes.sample.wallMs / 1000).toFixed(2), '-', '-', (full.blobBytes / MiB / (volumes.sample.wallMs / 1000)).toFixed(1), '-', volumes.sample.peakRssMb.toFixed(1), '-']
          : [`pack, ${full.label}, --volume-size ${VOLUME_SIZE} (1 run)`, '-', '-', volumes.error!.startsWith('BROKEN') ? 'BROKEN' : 'FAILED', '-', '-', '-', '-'],
      ],
    ),
    ...[pack.error, packSmall.error, volumes.error].filter((e): e is string => e !== undefined).map((e) => `    ${e}`),
    '',
    `  ferry wall time per run: ${pack.ferry.map((s) => seconds(s.wallMs)).join(', ') || '-'} s; archive ${mib(archiveBytes)} MiB, ${pack.ferry[0]?.archive.members ?? '-'} members, ${pack.ferry[0]?.archive.blobs ?? '-'} blobs`,
    `  skopeo + tar per run: ${pack.skopeo.map((s) => `${seconds(s.wallMs)} (copies ${seconds(s.copyMs)} + tar ${seconds(s.tarMs)})`).join(', ') || '-'} s; tar ${mib(tarBytes)} MiB`,
    '',
  ];
  if (verify.status === 'measured') {
    const row = (name: string, v: VerifyThroughput): string[] => [
      name,
      mib(v.bytes),
      (v.sha256sumMs / 1000).toFixed(2),
      (v.sha256sumBps / MiB).toFixed(1),
      (v.ferryMs / 1000).toFixed(2),
      (v.ferryBps / MiB).toFixed(1),
      `${v.ratio.toFixed(2)} ${verdict(verifyOk(v))}`,
      v.ferryPeakRssMb?.toFixed(1) ?? 'n/a',
      `exit ${v.corrupted.exitCode}${v.corrupted.errorCode ? ` ${v.corrupted.errorCode}` : ''}`,
    ];
    lines.push(
      '  verify: ferry verify vs sha256sum over the same files, warm page cache (second of two alternating runs; the cache cannot be dropped without root)',
      ...table(
        ['archive', 'MiB', 'sha256sum s', 'MB/s', 'ferry verify s', 'MB/s', 'ferry/sha256sum', 'ferry peak RSS MB', 'one byte flipped'],
        [row('single file', verify.single), row(`${plural(verify.volumes.files, 'volume')} of ${VOLUME_SIZE}`, verify.volumes)],
      ),
    );
  } else if (verify.status === 'skipped') {
    lines.push(`  verify: SKIPPED: ${verify.reason}. No figures; this is not a pass.`);
  } else {
    lines.push(`  verify: ${verify.error}`);
  }
  const voidedWhy = (e: string | undefined): string => `FAIL (${e?.startsWith('BROKEN') ? 'archive broken' : 'command failed'})`;
  const verifyVerdict = (v: VerifyThroughput | undefined): string =>
    verify.status === 'skipped' ? 'SKIPPED (not measured)' : verify.status === 'failed' || v === undefined ? 'FAIL (verify failed)' : verdict(verifyOk(v));
  const single = verify.status === 'measured' ? verify.single : undefined;
  const vols = verify.status === 'measured' ? verify.volumes : undefined;
  lines.push(
    '',
    '  targets',
    ...table(
      ['target', 'limit', 'value', 'verdict'],
      [
        ['pack: ferry / (skopeo + tar) wall time', `<= ${TARGET_RATIO}`, packOk ? ratio.toFixed(2) : '-', packOk ? verdict(ratioOk) : voidedWhy(pack.error)],
        ['pack: ferry peak RSS', `<= ${TARGET_RSS_MB} MB`, packOk ? `${ferryRss.toFixed(1)} MB` : '-', packOk ? verdict(rssOk) : voidedWhy(pack.error)],
        [
          `pack: peak RSS flat (${full.label} / ${small.label})`,
          `<= ${TARGET_RSS_GROWTH}`,
          packOk && packSmall.error === undefined ? `${ferryRss.toFixed(1)} / ${smallRss.toFixed(1)} MB = ${growth.toFixed(2)}` : '-',
          packOk && packSmall.error === undefined ? verdict(flatOk) : voidedWhy(pack.error ?? packSmall.error),
        ],
        ['verify, single file: ferry / sha256sum throughput', `>= ${TARGET_VERIFY_RATIO}`, single ? single.ratio.toFixed(2) : '-', verifyVerdict(single)],
        ['verify, volumes: ferry / sha256sum throughput', `>= ${TARGET_VERIFY_RATIO}`, vols ? vols.ratio.toFixed(2) : '-', verifyVerdict(vols)],
      ],
    ),
  );
  console.log(lines.join('\n'));

  const distRebuilt = distIdentity() !== distAtStart;
  const verifyJson = (v: VerifyThroughput) => ({
    bytes: v.bytes,
    files: v.files,
    sha256sum: { warmS: seconds(v.sha256sumMs), runsS: v.sha256sumRunsMs.map(seconds), mbPerS: round(v.sha256sumBps / MiB, 1) },
    ferry: { warmS: seconds(v.ferryMs), runsS: v.ferryRunsMs.map(seconds), mbPerS: round(v.ferryBps / MiB, 1), peakRssMb: v.ferryPeakRssMb === null ? null : round(v.ferryPeakRssMb, 1) },
    ratio: round(v.ratio, 3),
    ferryVerifiedBytes: v.ferryVerifiedBytes,
    flippedByte: v.corrupted,
    target: { limit: TARGET_VERIFY_RATIO, value: round(v.ratio, 3), pass: verifyOk(v) },
  });
  const results = {
    benchmark: 'pack',
    date: new Date().toISOString(),
    machine: { ...machine, skopeo: skopeoVersion },
    ferry: { ...code, distRebuiltDuringRun: distRebuilt },
    runs: RUNS,
    standardSet: IMAGES === STANDARD_IMAGES,
    generated: {
      images: layout.images.length,
      distinctLayers: layerCount,
      uniqueBytes: layout.uniqueBytes,
      logicalBytes: layout.logicalBytes,
      generationMs: Math.round(layout.ms),
      skopeoPushMs: Math.round(pushMs),
      manifestsSha256: layout.fingerprint,
      catalog: { reference: fullCatalog.catalog.ref, digest: fullCatalog.catalog.digest, bundles: fullCatalog.bundles, images: IMAGES, blobBytes: full.blobBytes, blobs: full.expected.blobs.size },
      smallCatalog: { reference: smallCatalog.catalog.ref, digest: smallCatalog.catalog.digest, bundles: smallCatalog.bundles, images: SMALL_IMAGES, blobBytes: small.blobBytes, blobs: small.expected.blobs.size },
    },
    pack: {
      images: IMAGES,
      blobBytes: full.blobBytes,
      ...(pack.error !== undefined ? { error: pack.error } : {}),
      ferry: {
        medianS: orNull(ferryS),
        runsS: pack.ferry.map((s) => seconds(s.wallMs)),
        peakRssMb: orNull(ferryRss, 1),
        archiveBytes: pack.ferry[0]?.archive.bytes ?? null,
        members: pack.ferry[0]?.archive.members ?? null,
        blobs: pack.ferry[0]?.archive.blobs ?? null,
      },
      skopeo: {
        medianS: orNull(skopeoS),
        runsS: pack.skopeo.map((s) => seconds(s.wallMs)),
        copiesS: pack.skopeo.map((s) => seconds(s.copyMs)),
        tarS: pack.skopeo.map((s) => seconds(s.tarMs)),
        peakRssMb: maxOf(pack.skopeo.map((s) => s.peakRssMb)),
        tarBytes: pack.skopeo[0]?.tarBytes ?? null,
      },
      ratio: orNull(ratio, 3),
      targets: {
        ratio: { limit: TARGET_RATIO, value: orNull(ratio, 3), pass: ratioOk },
        peakRssMb: { limit: TARGET_RSS_MB, value: orNull(ferryRss, 1), pass: rssOk },
      },
    },
    packSmall: {
      images: SMALL_IMAGES,
      blobBytes: small.blobBytes,
      ...(packSmall.error !== undefined ? { error: packSmall.error } : {}),
      ferry: { medianS: orNull(smallS), runsS: packSmall.ferry.map((s) => seconds(s.wallMs)), peakRssMb: orNull(smallRss, 1) },
    },
    rssFlat: { smallImages: SMALL_IMAGES, smallPeakRssMb: orNull(smallRss, 1), images: IMAGES, peakRssMb: orNull(ferryRss, 1), growth: orNull(growth, 3), limit: TARGET_RSS_GROWTH, pass: flatOk },
    volumes: {
      volumeSize: VOLUME_SIZE,
      ...(volumes.error !== undefined ? { error: volumes.error } : {}),
      ferry: volumes.sample ? { wallS: seconds(volumes.sample.wallMs), peakRssMb: round(volumes.sample.peakRssMb, 1), files: volumes.sample.files.length, bytes: volumes.sample.archive.bytes } : null,
    },
    verify:
      verify.status === 'measured'
        ? { status: 'measured', method: 'warm page cache: sha256sum and ferry verify run twice each, alternately; the second run of each counts', single: verifyJson(verify.single), volumes: verifyJson(verify.volumes) }
        : verify.status === 'skipped'
          ? { status: `skipped: ${verify.reason}` }
          : { status: 'failed', error: verify.error, ...(verify.single ? { single: verifyJson(verify.single) } : {}) },
    note: 'Wall times include process start-up (node + oclif for ferry; one skopeo process per image). skopeo copies the catalog and the images one after another into one OCI layout, then tar -cf makes one file of it; ferry pack gathers into a fresh empty cache and writes the archive with its checksums. verify figures are with a warm page cache.',
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const resultsFile = path.join(RESULTS_DIR, 'pack.json');
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`  results written to ${path.relative(REPO_ROOT, resultsFile)}`);
  if (distRebuilt) console.error('bench:pack: WARNING: dist/ was rebuilt while the benchmark ran; the figures may mix two versions of ferry');
  if (verify.status === 'skipped') console.error(`bench:pack: verify case SKIPPED: ${verify.reason}`);
  const voided = [
    ...(pack.error !== undefined ? [`pack ${IMAGES} images`] : []),
    ...(packSmall.error !== undefined ? [`pack ${SMALL_IMAGES} images`] : []),
    ...(volumes.error !== undefined ? ['pack --volume-size'] : []),
    ...(verify.status === 'failed' ? ['verify'] : []),
  ];
  if (voided.length > 0) {
    console.error(`bench:pack: ${voided.length} case(s) without valid figures (a broken archive or a failed command): ${voided.join('; ')}`);
    process.exitCode = 1;
  }
}

await runBenchmark('bench:pack', main);
