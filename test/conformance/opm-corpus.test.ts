/**
 * Every package of ../shared/corpus built by real opm and by ferry, compared table by table, as
 * `opm render` output and as the gRPC answers of `opm registry serve` (regquery):
 * - package-manifest folders: `initializer -m DIR` vs `ferry registry build --from-dir DIR --db-only`;
 * - bundle folders: each version made into a bundle image (umoci, pushed by skopeo to one test
 *   registry), then `opm registry add -b REFS --mode replaces|semver` vs
 *   `ferry registry build --bundles REFS --mode replaces|semver --db-only`.
 * One test per package (and mode), failing on any difference no allowed-difference rule explains, or
 * when only one of the two refuses the input. opm is run twice per package; when its two results
 * differ (tools/opm/README.md: `registry add` takes the images in no fixed order) it is run up to
 * OPM_RUNS times and ferry may match any of its outcomes (the report says so).
 * Report: t.diagnostic per test and a JSON file (FERRY_OPM_REPORT, default dist/opm-report.json).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compareBundleVersions, parseBundleVersion } from '../../src/catalog/version.js';
import { bundleAnnotations, mapPool, pushBundleImage, tagFor } from '../helpers/bundle-images.js';
import { compareTables, dumpDatabase, formatDifference, notAllowed, summarize, type Difference, type TableDump } from '../helpers/catalog-dump.js';
import { removeOnExit } from '../helpers/cleanup.js';
import { ferryAsync } from '../helpers/cli.js';
import { run } from '../helpers/exec.js';
import { repoRoot, tempDir } from '../helpers/paths.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { compareViews, viewDatabase, type CatalogView } from './opm-compare.js';
import { haveOpm, initializerBin, opmBin, opmRegistryAddArgs } from './opm.js';
import { corpusDir } from './shared-paths.js';

const OPM_RUNS = 8;
const reportFile = path.resolve(repoRoot, process.env.FERRY_OPM_REPORT ?? path.join('dist', 'opm-report.json'));

type Mode = 'replaces' | 'semver';

/** The default-channel annotations of a corpus bundle package's versions ('(none)' where absent). */
function defaultChannelsOf(pkg: string): Set<string> {
  const dir = path.join(corpusDir, 'bundles', pkg);
  return new Set(readdirSync(dir).map((v) => bundleAnnotations(path.join(dir, v))['operators.operatorframework.io.bundle.channel.default.v1'] ?? '(none)'));
}
interface Case {
  id: string;
  layout: 'package-manifest' | 'bundle';
  folder: string;
  mode?: Mode;
}

const manifestPackages = readdirSync(path.join(corpusDir, 'package-manifests')).sort();
const bundlePackages = readdirSync(path.join(corpusDir, 'bundles')).sort();
const cases: Case[] = [
  ...manifestPackages.map((p): Case => ({ id: `package-manifests/${p}`, layout: 'package-manifest', folder: p })),
  ...bundlePackages.flatMap((p) => (['replaces', 'semver'] as const).map((mode): Case => ({ id: `bundles/${p} --mode ${mode}`, layout: 'bundle', folder: p, mode }))),
];

/** One opm result: a refusal, or a database (its tables read; render and gRPC views taken once it matters). */
type Outcome = { refused: string } | { db: string; tables: TableDump; view?: CatalogView };

/**
 * What a user reads as the reason a tool refused: opm's `error="…"` (or its last error lines), with
 * the log timestamp and the echoed bundle list left out so two runs' refusals compare equal.
 */
function reason(text: string): string {
  const cleaned = text.replace(/time="[^"]*" */g, '').replace(/bundles="\[[^\]]*\]" */g, '');
  const lines = cleaned.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/DEPRECATION|Sqlite-based catalogs|them will be removed|to the new file-based/.test(l));
  const quoted = [...cleaned.matchAll(/error="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
  const errors = lines.filter((l) => /level=(error|fatal)|^Error:|error/i.test(l));
  const picked = quoted.length > 0 ? quoted.slice(-1) : errors.length > 0 ? errors.slice(-2) : lines.slice(-2);
  const s = picked.join(' / ');
  return s.length > 700 ? `${s.slice(0, 700)}… (${s.length} chars)` : s;
}

/** Version folders in opm's version order (folders that are no version sort last, by name). */
function compareFolderVersions(a: string, b: string): number {
  const va = parseBundleVersion(a);
  const vb = parseBundleVersion(b);
  if (va && vb) return compareBundleVersions(va, vb);
  return va ? -1 : vb ? 1 : a < b ? -1 : 1;
}

interface Entry {
  id: string;
  layout: string;
  package: string;
  mode?: Mode;
  verdict: 'identical' | 'identical (allowed differences only)' | 'differs' | 'both refuse' | 'opm loads, ferry refuses' | 'opm refuses, ferry loads';
  opm: { runs: number; outcomes: number; refusals: string[]; matchedOutcome?: number; note?: string };
  ferry: { refused?: string; warnings: string[] };
  allowed: Record<string, number>;
  differenceCount: number;
  differencesBySection: Record<string, number>;
  differences: ReturnType<typeof summarize>;
}

describe('opm conformance: shared corpus', { concurrency: 3 }, () => {
  let registry: TestRegistry;
  let work: string;
  const refs = new Map<string, string[]>();
  /** Each bundle package's images with the version folder they were made from. */
  const versions = new Map<string, { version: string; ref: string }[]>();
  const report: Entry[] = [];
  const startedAt = Date.now();

  before(async () => {
    assert.ok(haveOpm(), 'real opm must lie in ../shared/tools/opm');
    work = tempDir('ferry-opm-corpus-');
    removeOnExit(work);
    registry = await startRegistry();
    const jobs = bundlePackages.flatMap((p) => readdirSync(path.join(corpusDir, 'bundles', p)).sort().map((v) => ({ p, v })));
    const pushed = await mapPool(jobs, 4, async ({ p, v }) => {
      const ref = `${registry.host}/corpus/${p}:${tagFor(v)}`;
      await pushBundleImage(path.join(corpusDir, 'bundles', p, v), ref);
      return { p, ref };
    });
    for (const { p, ref } of pushed) refs.set(p, [...(refs.get(p) ?? []), ref]);
    pushed.forEach(({ p }, i) => versions.set(p, [...(versions.get(p) ?? []), { version: jobs[i]!.v, ref: pushed[i]!.ref }]));
  });

  after(async () => {
    await registry?.stop();
    const count = (v: string): number => report.filter((e) => e.verdict === v).length;
    const summary = {
      elapsedSeconds: Math.round((Date.now() - startedAt) / 1000),
      comparisons: report.length,
      packages: new Set(report.map((e) => `${e.layout}/${e.package}`)).size,
      identical: count('identical'),
      identicalWithAllowedDifferences: count('identical (allowed differences only)'),
      differs: count('differs'),
      bothRefuse: count('both refuse'),
      opmLoadsFerryRefuses: count('opm loads, ferry refuses'),
      opmRefusesFerryLoads: count('opm refuses, ferry loads'),
    };
    mkdirSync(path.dirname(reportFile), { recursive: true });
    report.sort((a, b) => (a.id < b.id ? -1 : 1));
    writeFileSync(reportFile, `${JSON.stringify({ summary, packages: report }, null, 2)}\n`);
    process.stdout.write(`# opm conformance: ${JSON.stringify(summary)}\n# report: ${reportFile}\n`);
  });

  for (const c of cases) {
    it(c.id, { timeout: 600_000 }, async (t) => {
      const dir = mkdtempSync(path.join(work, 'case-'));
      const runOpm = async (i: number): Promise<Outcome> => {
        const db = path.join(dir, `opm-${i}.db`);
        let r;
        if (c.layout === 'package-manifest') {
          const only = path.join(dir, 'manifests');
          r = await run(initializerBin, ['-m', only, '-o', db], { cwd: dir, timeoutMs: 300_000 });
        } else {
          r = await run(opmBin, opmRegistryAddArgs(db, refs.get(c.folder) ?? [], c.mode!), { cwd: dir, timeoutMs: 300_000 });
        }
        if (r.status !== 0) return { refused: `exit ${r.status}: ${reason(`${r.stdout}\n${r.stderr}`)}` };
        return { db, tables: await dumpDatabase(db) };
      };

      if (c.layout === 'package-manifest') cpSync(path.join(corpusDir, 'package-manifests', c.folder), path.join(dir, 'manifests', c.folder), { recursive: true });

      // ferry
      const out = path.join(dir, 'ferry');
      const args = c.layout === 'package-manifest'
        ? ['registry', 'build', '--from-dir', path.join(dir, 'manifests', c.folder), '--db-only', '--save', out, '--json']
        : ['registry', 'build', '--bundles', (refs.get(c.folder) ?? []).join(','), '--mode', c.mode!, '--db-only', '--save', out, '--plain-http', '--json'];
      const f = await ferryAsync(args);
      const ferryRefused = f.status === 0 ? undefined : `exit ${f.status}: ${f.json?.error ? `[${f.json.error.code}] ${f.json.error.message}` : reason(f.stderr)}`;
      const ferryView = ferryRefused === undefined ? await viewDatabase(path.join(out, 'index.db')) : undefined;

      // opm, twice; more when the two disagree
      // Two results are one outcome when their tables match (render and gRPC answers are read from
      // the database alone); refusals are one outcome whatever order opm lists the bundles in.
      const outcomes: Outcome[] = [];
      const refusals = new Set<string>();
      let runs = 0;
      const addOutcome = (o: Outcome): void => {
        if ('refused' in o) refusals.add(o.refused);
        const same = outcomes.some((x) => ('refused' in x && 'refused' in o) || ('tables' in x && 'tables' in o && notAllowed(compareTables(x.tables, o.tables)).length === 0));
        if (!same) outcomes.push(o);
      };
      // Bundles disagreeing on the default channel: opm's pick depends on the order it happens to
      // take the images in, so it is run OPM_RUNS times from the start.
      const disagree = c.layout === 'bundle' && defaultChannelsOf(c.folder).size > 1;
      for (; runs < (disagree ? OPM_RUNS : 2); runs++) addOutcome(await runOpm(runs));
      if (outcomes.length > 1) for (; runs < OPM_RUNS; runs++) addOutcome(await runOpm(runs));
      // In semver mode the last image opm handles sets the default channel. Besides opm's own (random)
      // orders, take the one order that can be named: one image per call, lowest version first.
      if (disagree && c.mode === 'semver') {
        const db = path.join(dir, 'opm-lowest-first.db');
        const ordered = [...(versions.get(c.folder) ?? [])].sort((a, b) => compareFolderVersions(a.version, b.version));
        let refused: string | undefined;
        for (const { ref } of ordered) {
          const r = await run(opmBin, opmRegistryAddArgs(db, [ref], 'semver'), { cwd: dir, timeoutMs: 300_000 });
          if (r.status !== 0) refused = `exit ${r.status}: ${reason(`${r.stdout}\n${r.stderr}`)}`;
        }
        runs++;
        addOutcome(refused === undefined ? { db, tables: await dumpDatabase(db) } : { refused });
      }
      for (const o of outcomes) if ('db' in o) o.view = await viewDatabase(o.db);

      // the opm outcome closest to ferry's
      let best: { index: number; differences: Difference[] } | undefined;
      outcomes.forEach((o, index) => {
        if (!('view' in o) || !o.view || !ferryView) return;
        const differences = compareViews(o.view, ferryView);
        if (!best || notAllowed(differences).length < notAllowed(best.differences).length) best = { index, differences };
      });
      const opmRefusals = [...refusals];
      const opmLoads = outcomes.some((o) => 'db' in o);

      let verdict: Entry['verdict'];
      let matchedOutcome: number | undefined;
      let differences: Difference[] = [];
      if (ferryRefused !== undefined && !opmLoads) verdict = 'both refuse';
      else if (ferryRefused !== undefined) verdict = 'opm loads, ferry refuses';
      else if (!best) verdict = 'opm refuses, ferry loads';
      else {
        differences = best.differences;
        matchedOutcome = best.index;
        const bad = notAllowed(differences);
        verdict = bad.length > 0 ? 'differs' : differences.length > 0 ? 'identical (allowed differences only)' : 'identical';
      }
      const bad = notAllowed(differences);
      const allowed: Record<string, number> = {};
      for (const d of differences) if (d.allowedBy) allowed[d.allowedBy] = (allowed[d.allowedBy] ?? 0) + 1;
      const bySection: Record<string, number> = {};
      for (const d of bad) bySection[`${d.section} ${d.area}`] = (bySection[`${d.section} ${d.area}`] ?? 0) + 1;
      const note = outcomes.length > 1
        ? `opm's result varies between runs: ${outcomes.length} distinct outcomes in ${runs} runs; ferry is compared with the closest (#${(matchedOutcome ?? 0) + 1})${opmRefusals.length ? `; refusals: ${opmRefusals.join(' | ')}` : ''}`
        : disagree ? `bundles disagree on the default channel (${[...defaultChannelsOf(c.folder)].join(', ')}); opm gave the same result in all ${runs} runs` : undefined;
      const entry: Entry = {
        id: c.id,
        layout: c.layout,
        package: c.folder,
        ...(c.mode ? { mode: c.mode } : {}),
        verdict,
        opm: { runs, outcomes: outcomes.length, refusals: opmRefusals, ...(matchedOutcome === undefined ? {} : { matchedOutcome }), ...(note ? { note } : {}) },
        ferry: { ...(ferryRefused === undefined ? {} : { refused: ferryRefused }), warnings: f.json?.warnings ?? [] },
        allowed,
        differenceCount: bad.length,
        differencesBySection: bySection,
        differences: summarize(bad),
      };
      report.push(entry);

      t.diagnostic(`${c.id}: ${verdict}`);
      if (note) t.diagnostic(note);
      if (opmRefusals.length) t.diagnostic(`opm refuses: ${opmRefusals.join(' | ')}`);
      if (ferryRefused) t.diagnostic(`ferry refuses: ${ferryRefused}`);
      if (Object.keys(allowed).length) t.diagnostic(`allowed differences: ${Object.entries(allowed).map(([k, n]) => `${k} ×${n}`).join(', ')}`);
      for (const d of bad.slice(0, 25)) t.diagnostic(formatDifference(d));
      if (bad.length > 25) t.diagnostic(`… ${bad.length - 25} more differences (see ${reportFile})`);

      if (verdict === 'opm loads, ferry refuses') assert.fail(`opm loads ${c.id}, ferry refuses: ${ferryRefused}`);
      if (verdict === 'opm refuses, ferry loads') assert.fail(`opm refuses ${c.id} (${opmRefusals.join(' | ')}), ferry loads it`);
      assert.equal(bad.length, 0, `${c.id}: ${bad.length} differences from opm no rule allows:\n${bad.slice(0, 15).map(formatDifference).join('\n')}`);
    });
  }
});
