/**
 * ferry's file-based catalogs against real opm (v1.26.0, ../shared/tools/opm), for synthetic
 * packages and every corpus package ferry loads (package-manifest folders and bundle folders, each
 * built with --from-dir):
 * - `opm validate` passes on ferry's FBC (`registry build --output-format fbc --db-only`);
 * - `opm render` of ferry's FBC equals `opm render` of the same database, object for object;
 * - `opm serve` on ferry's FBC answers regquery exactly as `opm serve` on opm's own migration of
 *   the database (`opm migrate`), lists compared as sets (opm's servers order some lists by Go map
 *   order, differently from run to run); both are compared with `opm registry serve` on the
 *   database too, and where the two opm servers themselves answer differently (sqlite vs FBC
 *   server: the FBC server fills ChannelName/PackageName in GetBundleForChannel, omits API
 *   plurals, …) the number of differing answers is reported, and must be the same for ferry's FBC;
 * - `ferry registry migrate` writes byte for byte what `opm migrate` writes (-o json and -o yaml).
 * Each package is one test, so the report reads per package; the last test prints the tally.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ferryAsync } from '../helpers/cli.js';
import { writeBundle, writePackageManifest } from '../helpers/manifests.js';
import { tempDir } from '../helpers/paths.js';
import { haveOpm, opm, opmRender, opmValidate, serveAndQuery } from './opm.js';
import { corpusDir } from './shared-paths.js';

interface Source {
  name: string;
  dir: string;
}

function corpusSources(layout: 'package-manifests' | 'bundles'): Source[] {
  const root = path.join(corpusDir, layout);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort()
    .map((name) => ({ name: `${layout}/${name}`, dir: path.join(root, name) }));
}

function syntheticSources(): Source[] {
  const root = tempDir('ferry-fbc-synthetic-');
  const manifests = path.join(root, 'manifests');
  writePackageManifest(
    manifests,
    'synthetic-op',
    [
      { name: 'stable', currentCSV: 'synthetic-op.v0.3.0' },
      { name: 'candidate', currentCSV: 'synthetic-op.v0.2.0' },
    ],
    [
      { name: 'synthetic-op.v0.1.0', version: '0.1.0', images: ['quay.io/example/syn:0.1.0'] },
      { name: 'synthetic-op.v0.2.0', version: '0.2.0', replaces: 'synthetic-op.v0.1.0', images: ['quay.io/example/syn:0.2.0'] },
      { name: 'synthetic-op.v0.3.0', version: '0.3.0', replaces: 'synthetic-op.v0.2.0', skips: ['synthetic-op.v0.2.1'], images: ['quay.io/example/syn:0.3.0'], relatedImages: ['quay.io/example/helper:1', 'quay.io/example/syn:0.3.0'] },
    ],
    'stable',
  );
  const bundles = path.join(root, 'bundles', 'synthetic-bundle');
  writeBundle(path.join(bundles, '1.0.0'), 'synthetic-bundle', ['alpha'], { name: 'synthetic-bundle.v1.0.0', version: '1.0.0', images: ['quay.io/example/sb:1'] }, 'alpha');
  writeBundle(path.join(bundles, '1.1.0'), 'synthetic-bundle', ['alpha', 'beta'], { name: 'synthetic-bundle.v1.1.0', version: '1.1.0', replaces: 'synthetic-bundle.v1.0.0', images: ['quay.io/example/sb:1.1'] }, 'alpha');
  return [
    { name: 'synthetic/package-manifest', dir: manifests },
    { name: 'synthetic/bundles', dir: bundles },
  ];
}

function filesUnder(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(dir, path.join(rel, e.name)) : [path.join(rel, e.name)]))
    .sort();
}

function treesEqual(a: string, b: string): string | undefined {
  const fa = filesUnder(a);
  const fb = filesUnder(b);
  if (fa.join('\n') !== fb.join('\n')) return `files ${fa.join(',')} vs ${fb.join(',')}`;
  for (const f of fa) if (!readFileSync(path.join(a, f)).equals(readFileSync(path.join(b, f)))) return `${f} differs`;
  return undefined;
}

/** Arrays sorted by their canonical JSON: the answers, as sets where opm's order is not stable. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, canonical(v)]));
  return value;
}

/** The paths at which two canonical dumps differ. */
function differingPaths(a: unknown, b: unknown, at = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) return [at || '/'];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) => differingPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}/${k}`));
}

type Outcome = 'identical' | 'not loaded' | 'differs';
const report = new Map<string, { outcome: Outcome; detail: string }>();
const regqueryDbDiffs = new Map<string, number>();

describe('file-based catalogs: ferry against real opm', () => {
  before(() => assert.ok(haveOpm(), 'real opm must lie in ../shared/tools/opm'));
  const sources = [...syntheticSources(), ...corpusSources('package-manifests'), ...corpusSources('bundles')];

  for (const source of sources) {
    test(source.name, { timeout: 600_000 }, async (t) => {
      const work = tempDir('ferry-fbc-opm-');
      const db = await ferryAsync(['registry', 'build', '--from-dir', source.dir, '--db-only', '--save', work, '--json']);
      if (db.status !== 0) {
        // ferry refuses this package as opm's loaders do (reported, compared by the database suites).
        report.set(source.name, { outcome: 'not loaded', detail: db.json?.error?.code ?? db.stderr.slice(0, 200) });
        t.diagnostic(`not loaded: ${db.json?.error?.message?.split('\n')[0] ?? db.stderr.slice(0, 200)}`);
        return;
      }
      const database = path.join(work, 'index.db');
      const fbc = await ferryAsync(['registry', 'build', '--from-dir', source.dir, '--output-format', 'fbc', '--db-only', '--save', work, '--json']);
      assert.equal(fbc.status, 0, fbc.stderr);
      const configs = path.join(work, 'configs');
      const problems: string[] = [];

      const valid = await opmValidate(configs);
      if (valid.status !== 0) problems.push(`opm validate: ${valid.stderr.slice(-400)}`);

      const [fromFbc, fromDb] = [await opmRender(configs), await opmRender(database)];
      if (JSON.stringify(fromFbc) !== JSON.stringify(fromDb)) problems.push('opm render of the FBC differs from opm render of the database');

      const opmConfigs = path.join(work, 'opm-migrated');
      await opm(['migrate', database, opmConfigs]);
      const servedFerry = canonical(await serveAndQuery({ configs, cacheDir: path.join(work, 'cache') }));
      const servedOpm = canonical(await serveAndQuery({ configs: opmConfigs, cacheDir: path.join(work, 'cache-opm') }));
      const servedDb = canonical(await serveAndQuery({ database }));
      const fbcPaths = differingPaths(servedFerry, servedOpm);
      if (fbcPaths.length) problems.push(`regquery: opm serve on ferry's FBC and on opm's migration answer differently at ${fbcPaths.slice(0, 10).join(', ')}`);
      const ours = differingPaths(servedDb, servedFerry);
      const theirs = differingPaths(servedDb, servedOpm);
      if (ours.join('\n') !== theirs.join('\n')) problems.push(`regquery: against opm registry serve, ferry's FBC differs at ${ours.length} answers, opm's own migration at ${theirs.length}`);
      t.diagnostic(`regquery: ${ours.length === 0 ? 'identical to opm registry serve on the database' : `${ours.length} answers differ from opm registry serve on the database, exactly as opm's own migration does (opm's sqlite and FBC servers differ there)`}`);
      regqueryDbDiffs.set(source.name, ours.length);

      for (const format of ['json', 'yaml'] as const) {
        const ours = path.join(work, `ferry-${format}`);
        const theirs = path.join(work, `opm-${format}`);
        const r = await ferryAsync(['registry', 'migrate', database, ours, '-o', format]);
        assert.equal(r.status, 0, r.stderr);
        await opm(['migrate', database, theirs, '-o', format]);
        const d = treesEqual(ours, theirs);
        if (d) problems.push(`migrate -o ${format}: ${d}`);
      }

      report.set(source.name, problems.length ? { outcome: 'differs', detail: problems.join('; ') } : { outcome: 'identical', detail: '' });
      assert.deepEqual(problems, [], source.name);
    });
  }

  after(() => {
    const counts = { identical: 0, 'not loaded': 0, differs: 0 };
    for (const [name, r] of report) {
      counts[r.outcome]++;
      if (r.outcome !== 'identical') console.log(`# fbc-opm ${name}: ${r.outcome}${r.detail ? ` (${r.detail})` : ''}`);
    }
    console.log(`# fbc-opm: ${report.size} packages compared: ${counts.identical} identical, ${counts.differs} differ, ${counts['not loaded']} not loaded by ferry`);
    const same = [...regqueryDbDiffs.values()].filter((n) => n === 0).length;
    console.log(`# fbc-opm regquery vs opm registry serve on the database: ${same} of ${regqueryDbDiffs.size} packages answer identically; the others differ only where opm's own migration differs`);
  });
});
