/**
 * Running the tools under test, each with a private empty HOME and no registry configuration:
 * ferry through bench/peak-rss.js (its JSON envelope and peak RSS), skopeo copies one after
 * another (peak RSS through GNU time when there), and `skopeo inspect --raw` digests.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { mustExec } from './exec.js';
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

/** `node bench/peak-rss.js bin/run.js ARGS --json` with a private HOME; the envelope must say ok. */
export async function runFerry(args: string[]): Promise<FerryRun & { envelope: FerryEnvelope }> {
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

export interface SkopeoRun {
  wallMs: number;
  /** Highest peak RSS of the skopeo processes (GNU time), when /usr/bin/time is there. */
  peakRssMb: number | null;
  perImageMs: number[];
}

/** Runs `skopeo --insecure-policy copy FLAGS SRC DST` for each pair, one after another. */
export async function runSkopeoCopies(flags: string[], pairs: Array<[string, string]>): Promise<SkopeoRun> {
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

/** sha256 of what `skopeo inspect --raw FLAGS REF` prints: the manifest digest as skopeo sees it. */
export async function skopeoRawDigest(ref: string, flags: string[] = []): Promise<string> {
  const { env, home } = privateEnv('inspect');
  try {
    const r = await mustExec('skopeo', ['--insecure-policy', 'inspect', '--raw', ...flags, ref], env);
    return `sha256:${createHash('sha256').update(r.stdout).digest('hex')}`;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
