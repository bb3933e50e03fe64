import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './paths.js';

export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
  /** Parsed stdout when --json was given. */
  json?: { status: string; exitCode: number; warnings: string[]; result?: any; error?: any };
}

/** Runs the real ferry CLI (bin/run.js) as a user would. */
export function ferry(args: string[], options: { cwd?: string } = {}): CliRun {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'run.js'), ...args], {
    cwd: options.cwd ?? repoRoot,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const run: CliRun = { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  if (args.includes('--json') && r.stdout.trim() !== '') run.json = JSON.parse(r.stdout);
  return run;
}

/**
 * The CLI run asynchronously: use this when the test process itself serves something ferry talks to
 * (token server, fault proxy), which a synchronous spawn would block.
 */
export async function ferryAsync(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  const { run } = await import('./exec.js');
  const r = await run(process.execPath, [path.join(repoRoot, 'bin', 'run.js'), ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    timeoutMs: 300_000,
  });
  const result: CliRun = { status: r.status, stdout: r.stdout, stderr: r.stderr };
  if (args.includes('--json') && r.stdout.trim() !== '') result.json = JSON.parse(r.stdout);
  return result;
}
