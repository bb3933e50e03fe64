/**
 * Real opm (operator-registry v1.26.0, ../shared/tools/opm) as an independent peer, the way the
 * tests use skopeo: it builds, renders, validates and serves catalogs so ferry's can be compared with
 * them. Only the opm conformance suite (test/conformance, `npm run test:opm`) and the golden script
 * use this; the main suite never needs ../shared.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { splitJsonObjects } from '../helpers/catalog-dump.js';
import { run, runChecked, type RunResult } from '../helpers/exec.js';
import { freePort } from '../helpers/registry.js';
import { sharedDir } from './shared-paths.js';

export const opmToolsDir = path.join(sharedDir, 'tools', 'opm');
export const opmBin = path.join(opmToolsDir, 'opm');
export const initializerBin = path.join(opmToolsDir, 'initializer');
export const regqueryBin = path.join(opmToolsDir, 'regquery');

/** True when the opm tools lie beside the repository. */
export function haveOpm(): boolean {
  return existsSync(opmBin) && existsSync(initializerBin) && existsSync(regqueryBin);
}

/** Runs opm; rejects with its output when it fails. */
export function opm(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return runChecked(opmBin, args, options);
}

/** Runs opm and resolves whatever it did (for commands expected to fail). */
export function opmMayFail(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return run(opmBin, args, options);
}

/** `initializer -m DIR -o DB`: package-manifest folders into a database, as upstream-registry-builder did. */
export async function initializeDatabase(manifestsDir: string, database: string): Promise<RunResult> {
  return runChecked(initializerBin, ['-m', manifestsDir, '-o', database]);
}

/** The `opm registry add` arguments for REFS over plain HTTP (the test registry). */
export function opmRegistryAddArgs(database: string, bundles: readonly string[], mode: 'replaces' | 'semver' | 'semver-skippatch'): string[] {
  // --use-http alone: opm v1.26 refuses --skip-tls together with --use-http.
  return ['registry', 'add', '-b', bundles.join(','), '-d', database, '--mode', mode, '-c', 'none', '--use-http'];
}

/**
 * `opm registry add -b REFS -d DB --mode MODE` over plain HTTP (the test registry). opm unpacks each
 * bundle into ./bundle_tmp* of its working directory, so it runs in `cwd` (default: the database's folder).
 */
export async function opmRegistryAdd(database: string, bundles: readonly string[], mode: 'replaces' | 'semver' | 'semver-skippatch', cwd = path.dirname(database)): Promise<RunResult> {
  return runChecked(opmBin, opmRegistryAddArgs(database, bundles, mode), { timeoutMs: 300_000, cwd });
}

/** `opm render SOURCE -o json`, parsed into its objects (in opm's order). */
export async function opmRender(source: string): Promise<Record<string, unknown>[]> {
  const r = await runChecked(opmBin, ['render', source, '-o', 'json', '--skip-tls-verify'], { timeoutMs: 300_000 });
  return splitJsonObjects(r.stdout) as Record<string, unknown>[];
}

/** `opm validate DIR`: resolves opm's result (status 0 when the catalog is valid). */
export function opmValidate(dir: string): Promise<RunResult> {
  return run(opmBin, ['validate', dir]);
}

export type Served = { database: string } | { configs: string; cacheDir?: string };

/**
 * Serves a catalog with opm (`opm registry serve -d DB` or `opm serve DIR`) on a free loopback port,
 * asks it everything with regquery once it answers, stops it and resolves regquery's parsed dump.
 */
export async function serveAndQuery(what: Served, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const port = await freePort();
  const args = 'database' in what
    ? ['registry', 'serve', '-d', what.database, '-p', String(port)]
    : ['serve', what.configs, '-p', String(port), ...(what.cacheDir ? ['--cache-dir', what.cacheDir] : [])];
  const child = spawn(opmBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  child.stdout.on('data', (c: Buffer) => log.push(c.toString()));
  child.stderr.on('data', (c: Buffer) => log.push(c.toString()));
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (exited !== undefined) throw new Error(`opm ${args.join(' ')} exited ${exited}:\n${log.join('').slice(-4000)}`);
      const r = await run(regqueryBin, [`127.0.0.1:${port}`], { timeoutMs: 120_000 });
      if (r.status === 0 && r.stdout.trim().startsWith('{')) return JSON.parse(r.stdout) as Record<string, unknown>;
      if (Date.now() > deadline) throw new Error(`regquery never got an answer from opm ${args.join(' ')}:\n${r.stderr}\n${log.join('').slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    if (exited === undefined) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (exited === undefined) child.kill('SIGKILL');
    }
  }
}
