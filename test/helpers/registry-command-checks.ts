/**
 * The registry commands end to end through the real CLI (build --db-only, add, list, images, rm,
 * prune), as one set of checks both suites run on their own packages: the main suite on the synthetic
 * corpus (test/cli.test.ts), the conformance suite on the shared corpus (test/conformance/cli-corpus.test.ts).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { ferry } from './cli.js';
import { tempDir } from './paths.js';

export interface RegistryCommandData {
  /** Folder of a package-manifest package. */
  dir(pkg: string): string;
  /** Built first: [A, B] with `bundles` bundles in all. The A package is etcd-shaped (alpha/beta channels, 3 bundles). */
  first: [string, string];
  bundles: number;
  /** Added next (three channels: alpha, beta, stable) with their heads. */
  added: string;
  addedHeads: { alpha: string; beta: string; stable: string };
  /** Rows after adding `added` and loading A again: operatorbundle count, A's channel_entry count. */
  counts: [number, number];
  /** A's CSV name prefix, and its alpha and beta heads. */
  prefix: string;
  heads: { alpha: string; beta: string };
  /** `registry images --from-db` of the three packages: how many, one of them, and the images of A's alpha head. */
  imageCount: number;
  someImage: string;
  headImages: string[];
}

export function describeRegistryCommands(title: string, d: RegistryCommandData): void {
  const [a, b] = d.first;
  const sorted = (...names: string[]): string[] => [...names].sort();
  describe(title, () => {
    let db: string;
    before(() => {
      const out = tempDir();
      const run = ferry(['registry', 'build', '--from-dir', `${d.dir(a)},${d.dir(b)}`, '--db-only', '--save', out, '--json']);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.json?.status, 'ok');
      assert.equal(run.json?.result.packages, 2);
      assert.equal(run.json?.result.bundles, d.bundles);
      db = run.json?.result.database;
    });

    it('add puts packages in, and replaces a package that is already there', () => {
      let run = ferry(['registry', 'add', '--database', db, '--from-dir', d.dir(d.added), '--json']);
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(run.json?.result.packagesAfter, sorted(a, b, d.added));
      run = ferry(['registry', 'add', '--database', db, '--from-dir', d.dir(a)]);
      assert.equal(run.status, 0, run.stderr);
      const counts = execFileSync('sqlite3', [db, `SELECT count(*) FROM operatorbundle; SELECT count(*) FROM channel_entry WHERE package_name='${a}'; PRAGMA foreign_key_check;`], { encoding: 'utf8' });
      assert.equal(counts, `${d.counts[0]}\n${d.counts[1]}\n`);
    });

    it('list shows packages, channels and heads; --json gives the structure', () => {
      const human = ferry(['registry', 'list', '--database', db]);
      assert.equal(human.status, 0);
      assert.ok(human.stdout.includes(`${a} (default channel alpha, 3 bundles)\n  alpha *: ${d.heads.alpha}\n  beta: ${d.heads.beta}\n`), human.stdout);
      const json = ferry(['registry', 'list', '--database', db, '--json']);
      const added = json.json?.result.packages.find((p: { name: string }) => p.name === d.added);
      assert.deepEqual(added.channels, [
        { name: 'alpha', head: d.addedHeads.alpha },
        { name: 'beta', head: d.addedHeads.beta },
        { name: 'stable', head: d.addedHeads.stable },
      ]);
    });

    it('images prints normalized, sorted, unique references; --bundle narrows to one bundle', () => {
      const run = ferry(['registry', 'images', '--from-db', db]);
      assert.equal(run.status, 0, run.stderr);
      const lines = run.stdout.trim().split('\n');
      assert.equal(lines.length, d.imageCount);
      assert.deepEqual(lines, [...lines].sort());
      assert.ok(lines.includes(d.someImage));
      const one = ferry(['registry', 'images', '--from-db', db, '--bundle', d.heads.alpha]);
      assert.deepEqual(one.stdout.trim().split('\n'), [...d.headImages].sort());
      const missing = ferry(['registry', 'images', '--from-db', db, '--bundle', 'nope.v1']);
      assert.equal(missing.status, 5);
      assert.match(missing.stderr, /no bundle named nope\.v1/);
    });

    it('rm removes packages and their bundles; prune keeps only the list', () => {
      const copy = path.join(tempDir(), 'copy.db');
      execFileSync('cp', [db, copy]);
      let run = ferry(['registry', 'rm', '--database', copy, '--packages', b, '--json']);
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(run.json?.result.packagesAfter, sorted(a, d.added));
      run = ferry(['registry', 'prune', '--database', copy, '--packages', a]);
      assert.equal(run.status, 0, run.stderr);
      const q = (sql: string): string => execFileSync('sqlite3', [copy, sql], { encoding: 'utf8' }).trim();
      assert.equal(q('SELECT group_concat(name) FROM package'), a);
      assert.equal(q(`SELECT count(*) FROM operatorbundle WHERE name NOT LIKE '${d.prefix}%'`), '0');
      assert.equal(q(`SELECT count(*) FROM related_image WHERE operatorbundle_name NOT LIKE '${d.prefix}%'`), '0');
      assert.equal(q(`SELECT count(*) FROM properties WHERE operatorbundle_name NOT LIKE '${d.prefix}%'`), '0');
      assert.equal(q('PRAGMA integrity_check'), 'ok');
      const unknown = ferry(['registry', 'rm', '--database', copy, '--packages', 'nope']);
      assert.equal(unknown.status, 5);
      assert.match(unknown.stderr, /no package named nope/);
    });
  });
}
