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
