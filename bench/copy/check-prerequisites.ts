/** What the copy and pack benchmarks need before they start: enough free disk space, and skopeo. */
import { statfsSync } from 'node:fs';
import { GiB } from './byte-units.js';
import { exec } from './exec.js';

/** Throws unless `dir` has `neededBytes` free; `usage` says what the space is for. */
export function checkDisk(dir: string, neededBytes: number, usage: string): void {
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  if (free < neededBytes) {
    throw new Error(
      `not enough free disk space in ${dir}: ${(free / GiB).toFixed(1)} GiB free, about ${neededBytes / GiB} GiB needed ` +
        `(${usage}). ` +
        'Free some space or point TMPDIR at a larger disk.',
    );
  }
}

/** Throws unless skopeo runs; returns its version line. */
export async function checkTools(): Promise<string> {
  const r = await exec('skopeo', ['--version'], process.env).catch((err: Error) => ({ code: -1, stdout: Buffer.from(''), stderr: err.message, wallMs: 0 }));
  if (r.code !== 0) throw new Error(`skopeo is needed (apt-get install skopeo): ${r.stderr.trim()}`);
  return r.stdout.toString('utf8').trim();
}
