/** Child processes for the copy benchmark: run a command from the repository root, timed, with its output collected. */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT } from './repo-paths.js';

export interface Exec {
  code: number | null;
  stdout: Buffer;
  stderr: string;
  wallMs: number;
}

export function exec(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Exec> {
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

/** exec, failing with the command line and the tail of its output unless it exits 0. */
export async function mustExec(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Exec> {
  const r = await exec(command, args, env);
  if (r.code !== 0) {
    throw new Error(`${commandLine(command, args)} exited with ${r.code}\n${r.stderr.slice(-4000)}${r.stdout.toString('utf8').slice(0, 2000)}`);
  }
  return r;
}
