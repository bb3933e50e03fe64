/** `registry build` of bad input: refused with exit 3, every expected problem named, nothing written. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ferry, type CliRun } from './cli.js';
import { tempDir } from './paths.js';

export function build(root: string): { run: CliRun; out: string } {
  const out = path.join(tempDir(), 'out');
  const run = ferry(['registry', 'build', '--from-dir', root, '--db-only', '--save', out, '--json']);
  return { run, out };
}

export function assertRefused(root: string, expectations: { file: string; field?: string; message: RegExp }[]): void {
  const { run, out } = build(root);
  assert.equal(run.status, 3, run.stdout + run.stderr);
  assert.equal(run.json?.status, 'error');
  assert.equal(run.json?.error.code, 'INVALID_INPUT');
  const problems = run.json?.error.problems as { file: string; field?: string; message: string }[];
  for (const e of expectations) {
    assert.ok(
      problems.some((p) => p.file.endsWith(e.file) && (e.field === undefined || p.field === e.field) && e.message.test(p.message)),
      `expected a problem in ${e.file} ${e.field ?? ''} matching ${e.message}; got ${JSON.stringify(problems, null, 1)}`,
    );
  }
  assert.equal(existsSync(path.join(out, 'index.db')), false, 'no database is written');
}

/** `registry build` of input opm tolerates: built (exit 0), with one warning per expectation naming its file. */
export function assertLoadedWithWarnings(root: string, expectations: { file: string; message: RegExp }[]): void {
  const { run, out } = build(root);
  assert.equal(run.status, 0, run.stdout + run.stderr);
  const warnings = run.json?.warnings as string[];
  for (const e of expectations) {
    assert.ok(
      warnings.some((w) => w.includes(`${e.file}: `) && e.message.test(w)),
      `expected a warning about ${e.file} matching ${e.message}; got ${JSON.stringify(warnings, null, 1)}`,
    );
  }
  assert.equal(existsSync(path.join(out, 'index.db')), true, 'the database is written');
}
