/**
 * Push benchmark (`npm run bench:push`): `ferry push` of a pack archive into an empty registry
 * against skopeo, and a second push into the now-full registry.
 *
 * 1. Makes the archive once, outside the timings (bench/push/bench-archive.ts): the copy
 *    benchmark's image set (20 images, about 1 GiB of unique incompressible layer bytes, shared
 *    layers) and a catalog naming them, packed by `ferry pack --catalog` into one file, checked.
 * 2. Each run (FERRY_BENCH_RUNS, default 3), ferry and skopeo in alternating order, each into a
 *    fresh empty registry (new storage):
 *    (a) `ferry push ARCHIVE --to REGISTRY/mirror --cache-dir FRESH --manifests FRESH --json`:
 *        wall time (process start-up and the archive's verification included) and peak RSS;
 *    (b) skopeo: `tar -xf ARCHIVE -C DIR` (the archive is a tar holding an OCI layout), then
 *        `skopeo copy --dest-tls-verify=false oci:DIR:REF docker://REGISTRY/mirror/NAME:TAG` for
 *        each image and the catalog, one process after another, as a user script would; the
 *        extraction counts in skopeo's time. Destination names are ferry's (src/mirror/naming.ts);
 *    (c) right after (a): `ferry push` again, same registry (now full) and same cache dir.
 *    After (a), (b) and (c) the registry is checked: every image's manifest digest by its tag
 *    equals the archive's, every blob there with its size, the last image's blobs hashed,
 *    `skopeo inspect --raw` of the first and last (bench/copy/verify-copy.ts).
 * 3. Once, for information (no target): skopeo `oci-archive:ARCHIVE:REF` per image (skopeo
 *    unpacks the whole archive for every image); the tar + `oci:` baseline with 4 copies at a
 *    time; and (in the last run) a third ferry push into the full registry with a fresh cache
 *    dir (no record of an earlier verify: the archive is hashed again).
 *
 * Targets: (a) / (b) wall time ≤ 0.6; (a) peak RSS ≤ 200 MB; (c) / (a) wall time < 0.1. A wrong
 * registry or a failing command voids its case and the process exits 1; a missed target prints
 * FAIL without changing the exit code. When this build has no `push` command the ferry cases are
 * reported as skipped (not passed) and only the skopeo figures are measured. Figures go to
 * bench/results/push.json.
 *
 * FERRY_BENCH_IMAGES (2..20, default 20) pushes fewer images, to try the benchmark quickly; the
 * figures of such a run are not the benchmark's.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BrokenCopy } from './copy/broken-copy.js';
import { GiB, MiB } from './copy/byte-units.js';
import { checkDisk, checkTools } from './copy/check-prerequisites.js';
import { codeVersion, distIdentity } from './copy/code-under-test.js';
import { IMAGES as STANDARD_IMAGES } from './copy/image-set.js';
import { freshRegistry, stopRegistry } from './copy/local-registries.js';
import { REPO_ROOT, RESULTS_DIR } from './copy/repo-paths.js';
import { runBenchmark } from './copy/run-benchmark.js';
import { createScratchDir, scratchPath } from './copy/scratch-dir.js';
import { intFromEnv } from './copy/settings-from-env.js';
import { maxOf, median, orNull, round, verdict } from './copy/stats.js';
import { verifyRegistry } from './copy/verify-copy.js';
import { buildBenchArchive, type BenchArchive } from './push/bench-archive.js';
import { destinationNames, pushTarget } from './push/destinations.js';
import { ferryPush, pushAvailable, skopeoPushFromArchive, skopeoPushFromLayout, type FerryPushSample, type SkopeoPushSample } from './push/push-tools.js';
import type { TestRegistry } from '../test/helpers/registry.js';

// ---------------------------------------------------------------------------------------------
// Settings

const IMAGES = intFromEnv('FERRY_BENCH_IMAGES', STANDARD_IMAGES, 2, STANDARD_IMAGES);
const RUNS = intFromEnv('FERRY_BENCH_RUNS', 3, 1, 50);
const TARGET_RATIO = 0.6;
const TARGET_RSS_MB = 200;
/** The second push, everything present: under this fraction of the first. */
const TARGET_SECOND_PUSH = 0.1;
const PARALLEL_COPIES = 4;
/** Source layout + registry while packing, the archive, and per run one registry plus skopeo's unpacked layout. */
const NEEDED_DISK_BYTES = 6 * GiB;

// ---------------------------------------------------------------------------------------------
// Cases

type Tool = 'ferry' | 'skopeo';

/** Why a case failed: BROKEN (the registry is wrong) or FAILED (a command failed). */
function failure(err: unknown, where: string): string {
  return `${err instanceof BrokenCopy ? 'BROKEN PUSH' : 'FAILED'} (${where}): ${err instanceof Error ? err.message : String(err)}`;
}

/** Checks `registry` holds every image of the archive under its destination name; a BrokenCopy also says how long the push took. */
async function checkRegistry(archive: BenchArchive, registry: TestRegistry, what: string, wallMs: number): Promise<void> {
  try {
    await verifyRegistry(registry, archive, what, destinationNames(registry.host));
  } catch (err) {
    if (err instanceof BrokenCopy) throw new BrokenCopy(`${err.message} (the push took ${(wallMs / 1000).toFixed(2)} s)`);
    throw err;
  }
}

interface FerryRunSamples {
  first: FerryPushSample;
  second?: FerryPushSample;
  /** Last run only: a third push into the full registry with a fresh cache dir. */
  freshCache?: FerryPushSample;
}

/** (a) into a fresh registry with a fresh cache, checked; then (c) into the same registry with the same cache, checked; `freshCache` adds a third push with a new cache dir. */
async function ferryRun(archive: BenchArchive, label: string, freshCache: boolean, second: { error?: string }): Promise<FerryRunSamples> {
  const registry = await freshRegistry();
  const cache = scratchPath(`ferry-cache-${label}`);
  const manifests = scratchPath(`ferry-manifests-${label}`);
  try {
    const first = await ferryPush(archive.file, registry, cache, manifests);
    // With a fresh cache the archive must be hashed in full, or (a) is not the case it claims to be.
    if (first.result.verify !== 'full') throw new Error(`ferry push (${label}) with a fresh cache dir reports verify "${first.result.verify}", expected "full"`);
    await checkRegistry(archive, registry, `ferry push (${label})`, first.wallMs);
    const samples: FerryRunSamples = { first };
    // A failure from here on voids the second-push case, not the first push.
    try {
      samples.second = await ferryPush(archive.file, registry, cache, manifests);
      await checkRegistry(archive, registry, `second ferry push (${label})`, samples.second.wallMs);
      if (freshCache) {
        const cache2 = scratchPath(`ferry-cache-${label}-fresh`);
        try {
          samples.freshCache = await ferryPush(archive.file, registry, cache2, manifests);
        } finally {
          rmSync(cache2, { recursive: true, force: true });
        }
      }
    } catch (err) {
      second.error = failure(err, `second ferry push, ${label}`);
    }
    return samples;
  } finally {
    await stopRegistry(registry);
    rmSync(cache, { recursive: true, force: true });
    rmSync(manifests, { recursive: true, force: true });
  }
}

type SkopeoVariant = { kind: 'layout'; concurrency: number } | { kind: 'archive' };

/** One skopeo push of the archive into a fresh registry, checked. */
async function skopeoRun(archive: BenchArchive, label: string, variant: SkopeoVariant): Promise<SkopeoPushSample> {
  const registry = await freshRegistry();
  const dir = scratchPath(`skopeo-layout-${label}`);
  try {
    const s = variant.kind === 'layout' ? await skopeoPushFromLayout(archive.file, archive.images, registry, dir, variant.concurrency) : await skopeoPushFromArchive(archive.file, archive.images, registry);
    await checkRegistry(archive, registry, `skopeo (${label})`, s.wallMs);
    return s;
  } finally {
    await stopRegistry(registry);
    rmSync(dir, { recursive: true, force: true });
  }
}

interface PushCase {
  ferry: FerryPushSample[];
  second: FerryPushSample[];
  freshCache?: FerryPushSample;
  skopeo: SkopeoPushSample[];
  /** Voids (a) and (b) (and (c), which needs (a)). */
  error?: string;
  /** Voids (c) only. */
  secondError?: string;
}

/** RUNS runs: ferry ((a) then (c)) and skopeo (b), ferry first on even runs and skopeo first on odd ones. */
async function pushCase(archive: BenchArchive, withFerry: boolean): Promise<PushCase> {
  const result: PushCase = { ferry: [], second: [], skopeo: [] };
  for (let run = 0; run < RUNS; run++) {
    const order: Tool[] = !withFerry ? ['skopeo'] : run % 2 === 0 ? ['ferry', 'skopeo'] : ['skopeo', 'ferry'];
    const parts: string[] = [];
    for (const tool of order) {
      const label = `run ${run + 1}`;
      try {
        if (tool === 'ferry') {
          const second: { error?: string } = {};
          const s = await ferryRun(archive, `run-${run + 1}`, run === RUNS - 1, second);
          result.ferry.push(s.first);
          parts.push(`ferry push ${seconds(s.first.wallMs)} s (${s.first.peakRssMb.toFixed(0)} MB RSS)`);
          if (s.second !== undefined) {
            result.second.push(s.second);
            parts.push(`again ${seconds(s.second.wallMs)} s`);
          }
          if (s.freshCache !== undefined) {
            result.freshCache = s.freshCache;
            parts.push(`again with a fresh cache ${seconds(s.freshCache.wallMs)} s`);
          }
          if (second.error !== undefined) {
            result.secondError ??= second.error;
            parts.push(second.error);
          }
        } else {
          const s = await skopeoRun(archive, `run-${run + 1}`, { kind: 'layout', concurrency: 1 });
          result.skopeo.push(s);
          parts.push(`tar + skopeo ${seconds(s.wallMs)} s (tar -xf ${seconds(s.extractMs)} s, copies ${seconds(s.copiesMs)} s)`);
        }
      } catch (err) {
        result.error = failure(err, `${tool}, ${label}`);
        console.log(`    push, ${label}/${RUNS}: ${[...parts, result.error].join(', ')}`);
        return result;
      }
    }
    console.log(`    push, run ${run + 1}/${RUNS}: ${parts.join(', ')}; registries checked`);
  }
  return result;
}

/** One informational skopeo run; its failure is reported, not fatal to the rest. */
async function extraSkopeo(archive: BenchArchive, label: string, name: string, variant: SkopeoVariant): Promise<{ sample?: SkopeoPushSample; error?: string }> {
  try {
    const sample = await skopeoRun(archive, label, variant);
    console.log(`    ${name}: ${seconds(sample.wallMs)} s${sample.extractMs > 0 ? ` (tar -xf ${seconds(sample.extractMs)} s, copies ${seconds(sample.copiesMs)} s)` : ''}; registry checked`);
    return { sample };
  } catch (err) {
    const error = failure(err, name);
    console.log(`    ${name}: ${error}`);
    return { error };
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const mib = (bytes: number): string => (bytes / MiB).toFixed(1);
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const seconds = (ms: number): number => round(ms / 1000);
const medianS = (xs: Array<{ wallMs: number }>): number => (xs.length > 0 ? median(xs.map((x) => x.wallMs)) / 1000 : NaN);

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => `    ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

const ferryJson = (xs: FerryPushSample[]) => ({
  medianS: orNull(medianS(xs)),
  runsS: xs.map((s) => seconds(s.wallMs)),
  reportedS: xs.map((s) => s.result.seconds ?? null),
  peakRssMb: orNull(maxOf(xs.map((s) => s.peakRssMb)) ?? NaN, 1),
  result: xs[0]?.result ?? null,
  manifests: xs[0]?.manifests ?? null,
});

const skopeoJson = (xs: SkopeoPushSample[]) => ({
  medianS: orNull(medianS(xs)),
  runsS: xs.map((s) => seconds(s.wallMs)),
  extractS: xs.map((s) => seconds(s.extractMs)),
  copiesS: xs.map((s) => seconds(s.copiesMs)),
  peakRssMb: maxOf(xs.map((s) => s.peakRssMb)),
});

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const skopeoVersion = await checkTools();
  const code = await codeVersion();
  const distAtStart = distIdentity();
  checkDisk(os.tmpdir(), NEEDED_DISK_BYTES, 'source layout and registry while packing, the archive, one registry and one unpacked layout at a time');
  const scratchRoot = createScratchDir('push');
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: round(os.totalmem() / GiB, 1), node: process.version, platform: `${os.platform()} ${os.arch()}` };
  console.log('ferry push benchmark');
  console.log(`  machine            ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, node ${process.version}, ${skopeoVersion}`);
  console.log(`  ferry              commit ${code.commit}${code.srcDirty ? ' + uncommitted changes in src/' : ''}`);
  console.log(`  runs per case      ${RUNS} (FERRY_BENCH_RUNS), median wall time reported; scratch ${scratchRoot}`);
  if (IMAGES !== STANDARD_IMAGES) console.log(`  NOTE               FERRY_BENCH_IMAGES=${IMAGES}: not the benchmark's ${STANDARD_IMAGES}-image set; figures are for trying it out only`);

  const archive = await buildBenchArchive(IMAGES, scratchPath('archive'));
  const g = archive.generated;
  console.log(
    `  generated layout   ${g.images} images, ${g.distinctLayers} distinct layers, ${mib(g.uniqueBytes)} MiB unique (${mib(g.logicalBytes)} MiB summed over images) ` +
      `in ${(g.generationMs / 1000).toFixed(1)} s; skopeo pushed it to a source registry in ${(g.skopeoPushMs / 1000).toFixed(1)} s`,
  );
  console.log(
    `  archive            ${path.basename(archive.file)}: ${plural(archive.images.length - 1, 'image')} + catalog ${archive.catalog.catalog.ref}, ${archive.facts.blobs} blobs, ` +
      `${mib(archive.facts.bytes)} MiB; ferry pack ${seconds(archive.pack.wallMs)} s; checked`,
  );

  const withFerry = await pushAvailable();
  if (!withFerry) console.log('  NOTE               this build has no `ferry push` (`ferry push --help` does not exit 0): the ferry cases are SKIPPED, skopeo alone is measured');
  console.log(`  destinations       ${pushTarget('REGISTRY')}/<source repository flattened>:<tag, or FNV tag for digest references> (src/mirror/naming.ts), a fresh registry per push`);

  const push = await pushCase(archive, withFerry);
  const ociArchive = await extraSkopeo(archive, 'oci-archive', 'skopeo copy oci-archive: per image (1 run)', { kind: 'archive' });
  const parallel = await extraSkopeo(archive, 'parallel', `tar -xf + skopeo copy oci:, ${PARALLEL_COPIES} at a time (1 run)`, { kind: 'layout', concurrency: PARALLEL_COPIES });

  // Figures.
  const ferryS = medianS(push.ferry);
  const skopeoS = medianS(push.skopeo);
  const secondS = medianS(push.second);
  const ratio = ferryS / skopeoS;
  const secondRatio = secondS / ferryS;
  const ferryRss = maxOf(push.ferry.map((s) => s.peakRssMb)) ?? NaN;
  const pushOk = withFerry && push.error === undefined;
  const secondValid = pushOk && push.secondError === undefined && push.second.length > 0;
  const ratioOk = pushOk && ratio <= TARGET_RATIO;
  const rssOk = pushOk && ferryRss <= TARGET_RSS_MB;
  const secondOk = secondValid && secondRatio < TARGET_SECOND_PUSH;
  const bytes = archive.blobBytes;
  const what = `${plural(archive.images.length - 1, 'image')} + catalog`;
  const voidCell = (e: string | undefined): string => (e === undefined ? '-' : e.startsWith('BROKEN') ? 'BROKEN' : 'FAILED');
  const skipped = 'SKIPPED';

  const rows: string[][] = [];
  if (!withFerry) rows.push(['(a) ferry push, empty registry', skipped, '-', '-', '-', '-']);
  else if (push.error !== undefined) rows.push(['(a) ferry push, empty registry', voidCell(push.error), '-', '-', '-', '-']);
  else rows.push(['(a) ferry push, empty registry', ferryS.toFixed(2), (bytes / MiB / ferryS).toFixed(1), ferryRss.toFixed(1), `ferry reports ${push.ferry.map((s) => s.result.seconds).join(', ')} s`, push.ferry.map((s) => seconds(s.wallMs)).join(', ')]);
  if (push.error !== undefined) rows.push(['(b) tar -xf + skopeo copy oci: per image', voidCell(push.error), '-', '-', '-', '-']);
  else
    rows.push([
      '(b) tar -xf + skopeo copy oci: per image',
      skopeoS.toFixed(2),
      (bytes / MiB / skopeoS).toFixed(1),
      maxOf(push.skopeo.map((s) => s.peakRssMb))?.toFixed(1) ?? 'n/a',
      `tar ${median(push.skopeo.map((s) => s.extractMs / 1000)).toFixed(2)} + copies ${median(push.skopeo.map((s) => s.copiesMs / 1000)).toFixed(2)}`,
      push.skopeo.map((s) => seconds(s.wallMs)).join(', '),
    ]);
  if (!withFerry) rows.push(['(c) ferry push again, full registry, same cache', skipped, '-', '-', '-', '-']);
  else if (!secondValid) rows.push(['(c) ferry push again, full registry, same cache', voidCell(push.secondError ?? push.error), '-', '-', '-', '-']);
  else
    rows.push([
      '(c) ferry push again, full registry, same cache',
      secondS.toFixed(2),
      '-',
      (maxOf(push.second.map((s) => s.peakRssMb)) ?? NaN).toFixed(1),
      `ferry reports ${push.second.map((s) => s.result.seconds).join(', ')} s; verify ${[...new Set(push.second.map((s) => s.result.verify))].join('/')}`,
      push.second.map((s) => seconds(s.wallMs)).join(', '),
    ]);
  const extraRow = (name: string, x: { sample?: SkopeoPushSample; error?: string }): string[] =>
    x.sample !== undefined
      ? [name, seconds(x.sample.wallMs).toFixed(2), (bytes / MiB / (x.sample.wallMs / 1000)).toFixed(1), x.sample.peakRssMb?.toFixed(1) ?? 'n/a', x.sample.extractMs > 0 ? `tar ${seconds(x.sample.extractMs).toFixed(2)} + copies ${seconds(x.sample.copiesMs).toFixed(2)}` : '-', '1 run']
      : [name, voidCell(x.error), '-', '-', '-', '-'];
  rows.push(extraRow('info: skopeo copy oci-archive: per image', ociArchive));
  rows.push(extraRow(`info: tar -xf + skopeo copy oci:, ${PARALLEL_COPIES} at a time`, parallel));
  if (push.freshCache !== undefined)
    rows.push(['info: ferry push again, full registry, fresh cache', seconds(push.freshCache.wallMs).toFixed(2), '-', push.freshCache.peakRssMb.toFixed(1), `ferry reports ${push.freshCache.result.seconds} s`, '1 run']);

  const voidedWhy = (e: string | undefined): string => (!withFerry ? 'SKIPPED (no ferry push)' : `FAIL (${e?.startsWith('BROKEN') ? 'registry wrong' : 'command failed'})`);
  const lines = [
    '',
    `  push: ${what}, ${mib(bytes)} MiB of blobs, archive ${mib(archive.facts.bytes)} MiB (median of ${RUNS}; MB = 2^20 bytes of blobs; every push into a fresh empty registry unless said)`,
    ...table(['case', 'wall s', 'MB/s', 'peak RSS MB', 'parts', 'runs s'], rows),
    ...[push.error, push.secondError, ociArchive.error, parallel.error].filter((e): e is string => e !== undefined).map((e) => `    ${e}`),
  ];
  const reported = [
    ...(push.ferry[0] !== undefined ? [`  ferry push result (run 1): ${JSON.stringify(push.ferry[0].result)}`] : []),
    ...(push.second[0] !== undefined ? [`  second push result (run 1): ${JSON.stringify(push.second[0].result)}`] : []),
    ...(push.freshCache !== undefined ? [`  fresh-cache push result: ${JSON.stringify(push.freshCache.result)}`] : []),
  ];
  if (reported.length > 0) lines.push('', ...reported);
  lines.push(
    '',
    '  targets',
    ...table(
      ['target', 'limit', 'value', 'verdict'],
      [
        ['(a) / (b) wall time: ferry push / (tar + skopeo)', `<= ${TARGET_RATIO}`, pushOk ? ratio.toFixed(2) : '-', pushOk ? verdict(ratioOk) : voidedWhy(push.error)],
        ['(a) ferry push peak RSS', `<= ${TARGET_RSS_MB} MB`, pushOk ? `${ferryRss.toFixed(1)} MB` : '-', pushOk ? verdict(rssOk) : voidedWhy(push.error)],
        ['(c) / (a) wall time: second push / first', `< ${TARGET_SECOND_PUSH}`, secondValid ? secondRatio.toFixed(3) : '-', secondValid ? verdict(secondOk) : voidedWhy(push.secondError ?? push.error)],
      ],
    ),
  );
  console.log(lines.join('\n'));

  const distRebuilt = distIdentity() !== distAtStart;
  const extraJson = (x: { sample?: SkopeoPushSample; error?: string }) => (x.sample !== undefined ? skopeoJson([x.sample]) : { error: x.error ?? null });
  const results = {
    benchmark: 'push',
    date: new Date().toISOString(),
    machine: { ...machine, skopeo: skopeoVersion },
    ferry: { ...code, distRebuiltDuringRun: distRebuilt, pushAvailable: withFerry },
    runs: RUNS,
    standardSet: IMAGES === STANDARD_IMAGES,
    generated: g,
    archive: {
      identity: archive.identity,
      images: archive.images.length - 1,
      catalog: { reference: archive.catalog.catalog.ref, digest: archive.catalog.catalog.digest },
      blobs: archive.facts.blobs,
      blobBytes: bytes,
      bytes: archive.facts.bytes,
      members: archive.facts.members,
      packS: seconds(archive.pack.wallMs),
    },
    push: {
      ...(push.error !== undefined ? { error: push.error } : {}),
      ferry: withFerry ? ferryJson(push.ferry) : { status: 'skipped: no ferry push in this build' },
      skopeo: skopeoJson(push.skopeo),
      ratio: pushOk ? orNull(ratio, 3) : null,
      targets: {
        ratio: { limit: TARGET_RATIO, value: pushOk ? orNull(ratio, 3) : null, pass: ratioOk },
        peakRssMb: { limit: TARGET_RSS_MB, value: pushOk ? orNull(ferryRss, 1) : null, pass: rssOk },
      },
    },
    secondPush: {
      ...(push.secondError !== undefined ? { error: push.secondError } : {}),
      ferry: withFerry ? ferryJson(push.second) : { status: 'skipped: no ferry push in this build' },
      ratioToFirst: secondValid ? orNull(secondRatio, 3) : null,
      target: { limit: TARGET_SECOND_PUSH, value: secondValid ? orNull(secondRatio, 3) : null, pass: secondOk },
    },
    extra: {
      skopeoOciArchive: extraJson(ociArchive),
      skopeoParallel: { concurrency: PARALLEL_COPIES, ...extraJson(parallel) },
      ferryPushFullRegistryFreshCache: push.freshCache !== undefined ? ferryJson([push.freshCache]) : null,
    },
    note:
      'Wall times include process start-up (node + oclif for ferry; one skopeo process per image) and, for ferry, the verification of the archive. ' +
      'skopeo: one tar -xf of the archive, then skopeo copy oci:DIR:REF per image and the catalog, one after another, to the names ferry push gives them. ' +
      'The archive is read from the page cache by both (it is written once before the runs). Peak RSS of ferry is the node process (bench/peak-rss.js); of skopeo the largest single process (GNU time).',
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const resultsFile = path.join(RESULTS_DIR, 'push.json');
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`  results written to ${path.relative(REPO_ROOT, resultsFile)}`);
  if (distRebuilt) console.error('bench:push: WARNING: dist/ was rebuilt while the benchmark ran; the figures may mix two versions of ferry');
  if (!withFerry) console.error('bench:push: ferry cases SKIPPED: this build has no `ferry push`');
  const voided = [
    ...(push.error !== undefined ? ['push'] : []),
    ...(push.secondError !== undefined ? ['second push'] : []),
    ...(ociArchive.error !== undefined ? ['skopeo oci-archive'] : []),
    ...(parallel.error !== undefined ? ['skopeo parallel'] : []),
  ];
  if (voided.length > 0) {
    console.error(`bench:push: ${voided.length} case(s) without valid figures (a wrong registry or a failed command): ${voided.join('; ')}`);
    process.exitCode = 1;
  }
}

await runBenchmark('bench:push', main);
