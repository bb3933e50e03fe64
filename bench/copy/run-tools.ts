/**
 * Running the tools under test, each with a private empty HOME and no registry configuration:
 * ferry through bench/peak-rss.js (exit code, JSON envelope and peak RSS), skopeo copies one after
 * another (peak RSS through GNU time when there), and `skopeo inspect --raw` digests.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { exec, mustExec } from './exec.js';
import { CLI, PEAK_RSS_HELPER } from './repo-paths.js';
import { scratchPath } from './scratch-dir.js';

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

let homes = 0;

/** The environment minus anything that configures registries, with a fresh empty HOME. */
function privateEnv(label: string): { env: NodeJS.ProcessEnv; home: string } {
  const home = scratchPath(`home-${label}-${++homes}`);
  mkdirSync(home);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  for (const k of SCRUBBED_ENV) delete env[k];
  return { env, home };
}

export interface FerryRun {
  wallMs: number;
  peakRssMb: number;
  /** The copy time ferry reports itself (without node and oclif start-up). */
  ferrySeconds: number;
  blobs: { copied: number; mounted: number; skipped: number; bytes: number };
}

export interface FerryEnvelope {
  status: string;
  result?: {
    seconds: number;
    blobs: FerryRun['blobs'];
    digest?: string;
    images?: Array<{ source: string; destination: string; digest: string }>;
    failed?: unknown[];
  };
}

export interface FerryProcess {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** null when the process died before it could write the figure. */
  peakRssMb: number | null;
}

/** `node bench/peak-rss.js bin/run.js ARGS` with a private HOME, whatever its exit code. Wall time includes node and oclif start-up. */
export async function runFerryProcess(args: string[]): Promise<FerryProcess> {
  const { env, home } = privateEnv('ferry');
  const rssFile = path.join(home, 'rss.json');
  env.FERRY_BENCH_RSS_FILE = rssFile;
  try {
    const r = await exec(process.execPath, [PEAK_RSS_HELPER, CLI, ...args], env);
    const rss = existsSync(rssFile) ? (JSON.parse(readFileSync(rssFile, 'utf8')) as { maxRssKb: number }).maxRssKb / 1024 : null;
    return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr, wallMs: r.wallMs, peakRssMb: rss };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export interface FerryCommandRun<R> {
  wallMs: number;
  peakRssMb: number;
  envelope: { status: string; result: R };
}

/** runFerryProcess(ARGS --json): it must exit 0 and its envelope must say ok. */
export async function runFerryCommand<R>(args: string[]): Promise<FerryCommandRun<R>> {
  const r = await runFerryProcess([...args, '--json']);
  if (r.code !== 0) throw new Error(`ferry ${args.join(' ')} exited with ${r.code}\n${r.stderr.slice(-4000)}${r.stdout.slice(0, 2000)}`);
  const envelope = JSON.parse(r.stdout) as { status: string; result?: R };
  if (envelope.status !== 'ok' || envelope.result === undefined) throw new Error(`ferry ${args.join(' ')} reported ${envelope.status}: ${r.stdout.slice(0, 2000)}`);
  if (r.peakRssMb === null) throw new Error(`ferry ${args.join(' ')}: no peak RSS written`);
  return { wallMs: r.wallMs, peakRssMb: r.peakRssMb, envelope: { status: envelope.status, result: envelope.result } };
}

/** A ferry copy (`image copy`, `image mirror`): runFerryCommand plus the copy time and blob counts it reports. */
export async function runFerry(args: string[]): Promise<FerryRun & { envelope: FerryEnvelope }> {
  const r = await runFerryCommand<NonNullable<FerryEnvelope['result']>>(args);
  return { wallMs: r.wallMs, peakRssMb: r.peakRssMb, ferrySeconds: r.envelope.result.seconds, blobs: r.envelope.result.blobs, envelope: r.envelope };
}

export interface SkopeoRun {
  wallMs: number;
  /** Highest peak RSS of the skopeo processes (GNU time), when /usr/bin/time is there. */
  peakRssMb: number | null;
  perImageMs: number[];
}

/**
 * Runs `skopeo --insecure-policy copy FLAGS SRC DST` for each pair, one after another, or with
 * `concurrency` > 1 that many at a time (peak RSS is then the largest single process's, not the sum).
 */
export async function runSkopeoCopies(flags: string[], pairs: Array<[string, string]>, concurrency = 1): Promise<SkopeoRun> {
  const { env, home } = privateEnv('skopeo');
  const useTime = existsSync(GNU_TIME);
  let peakKb: number | null = useTime ? 0 : null;
  const perImageMs: number[] = [];
  let next = 0;
  const worker = async (slot: number): Promise<void> => {
    const timeFile = path.join(home, `time-${slot}.txt`);
    for (let i = next++; i < pairs.length; i = next++) {
      const [src, dst] = pairs[i]!;
      const skopeoArgs = ['--insecure-policy', 'copy', ...flags, src, dst];
      const r = useTime ? await mustExec(GNU_TIME, ['-f', '%M', '-o', timeFile, 'skopeo', ...skopeoArgs], env) : await mustExec('skopeo', skopeoArgs, env);
      perImageMs[i] = r.wallMs;
      if (useTime) {
        const kb = Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop());
        if (Number.isFinite(kb)) peakKb = Math.max(peakKb ?? 0, kb);
      }
    }
  };
  try {
    const started = performance.now();
    // On a failure the other workers take no new copy; the first error is thrown once all have stopped.
    const settled = await Promise.allSettled(
      Array.from({ length: Math.max(1, Math.min(concurrency, pairs.length)) }, (_, slot) =>
        worker(slot).catch((err: unknown) => {
          next = pairs.length;
          throw err;
        }),
      ),
    );
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return { wallMs: performance.now() - started, peakRssMb: peakKb === null ? null : peakKb / 1024, perImageMs };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** What `skopeo inspect --raw FLAGS REF` prints: the manifest bytes as skopeo sees them. */
export async function skopeoRaw(ref: string, flags: string[] = []): Promise<Buffer> {
  const { env, home } = privateEnv('inspect');
  try {
    return (await mustExec('skopeo', ['--insecure-policy', 'inspect', '--raw', ...flags, ref], env)).stdout;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** sha256 of what `skopeo inspect --raw FLAGS REF` prints: the manifest digest as skopeo sees it. */
export async function skopeoRawDigest(ref: string, flags: string[] = []): Promise<string> {
  return `sha256:${createHash('sha256').update(await skopeoRaw(ref, flags)).digest('hex')}`;
}
