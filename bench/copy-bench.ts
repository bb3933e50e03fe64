/**
 * Image copy benchmark (`npm run bench:copy`): ferry against skopeo, both directions.
 *
 * 1. Writes a deterministic OCI image layout by hand (the set in bench/copy/image-set.ts, shared
 *    with bench:pack): 20 images (img01..img20), about 1 GiB of
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
 *
 * This file holds the settings, the cases, the report and main; the parts they use live in
 * bench/copy/ (the image set, layout generation, running the tools, checking copies, registries,
 * scratch folder), which bench:pack uses as well.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestRegistry } from '../test/helpers/registry.js';
import { BrokenCopy } from './copy/broken-copy.js';
import { GiB, MiB } from './copy/byte-units.js';
import { checkDisk, checkTools } from './copy/check-prerequisites.js';
import { codeVersion, distIdentity } from './copy/code-under-test.js';
import { pushWithSkopeo } from './copy/fill-registry.js';
import { writeLayout, type Layout } from './copy/generate-layout.js';
import { imageSpecs, SEED } from './copy/image-set.js';
import { freshRegistry, stopRegistry } from './copy/local-registries.js';
import { REPO_ROOT, RESULTS_DIR } from './copy/repo-paths.js';
import { runFerry, runSkopeoCopies, type FerryRun } from './copy/run-tools.js';
import { runBenchmark } from './copy/run-benchmark.js';
import { createScratchDir, scratchPath } from './copy/scratch-dir.js';
import { intFromEnv } from './copy/settings-from-env.js';
import { maxOf, median, orNull, round, verdict } from './copy/stats.js';
import { verifyFerryEnvelope, verifyLayout, verifyRegistry } from './copy/verify-copy.js';

// ---------------------------------------------------------------------------------------------
// Settings

// The 20-image set (sizes, seed) is in bench/copy/image-set.ts, shared with bench:pack.
const BIG_LAYER = GiB; // the single-layer case

const RUNS = intFromEnv('FERRY_BENCH_RUNS', 3, 1, 50);
const TARGET_RATIO = 0.7;
const TARGET_RSS_MB = 150;
const NEEDED_DISK_BYTES = 6 * GiB;

// ---------------------------------------------------------------------------------------------
// Cases

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
    const out = scratchPath(`out-${tool}-${run + 1}`);
    try {
      let sample: Sample;
      if (tool === 'ferry') {
        const r = mirror
          ? await runFerry(['image', 'mirror', '-f', writeMapping(`r2l-${run + 1}`, layout.images.map((i) => `${source.host}/bench/${i.name}:1=oci:${out}:${i.name}`))])
          : await runFerry(['image', 'copy', `docker://${source.host}/bench/${layout.images[0]!.name}:1`, `oci:${out}:${layout.images[0]!.name}`]);
        verifyFerryEnvelope(r.envelope, layout);
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
        verifyFerryEnvelope(r.envelope, layout);
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
  const file = scratchPath(`mapping-${label}.txt`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

// ---------------------------------------------------------------------------------------------
// Report

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

async function main(): Promise<void> {
  const skopeoVersion = await checkTools();
  const code = await codeVersion();
  const distAtStart = distIdentity();
  checkDisk(os.tmpdir(), NEEDED_DISK_BYTES, 'source layout, source registry, one copy at a time, and the same again for the 1 GiB single-layer case');
  const scratchRoot = createScratchDir('copy');
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: round(os.totalmem() / GiB, 1), node: process.version, platform: `${os.platform()} ${os.arch()}` };
  console.log('ferry image copy benchmark');
  console.log(`  machine            ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, node ${process.version}, ${skopeoVersion}`);
  console.log(`  ferry              commit ${code.commit}${code.srcDirty ? ' + uncommitted changes in src/' : ''}`);
  console.log(`  runs per case      ${RUNS} (FERRY_BENCH_RUNS), median wall time reported; scratch ${scratchRoot}`);

  // 20 images with shared layers.
  const layout = await writeLayout(scratchPath('layout'), SEED, imageSpecs());
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
  const big = await writeLayout(scratchPath('big'), SEED, [{ name: 'big', layers: [{ label: 'big-1gib', size: BIG_LAYER }] }]);
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

await runBenchmark('bench:copy', main, (err) => (err instanceof BrokenCopy ? 'broken copy' : 'failed'));
