/**
 * ferry builds the synthetic catalog (test/helpers/synthetic-catalog.ts) and must give what real opm
 * gave for it (test/golden/opm, made by `npm run goldens:opm`): every table by natural keys, with only
 * the allowed differences of test/helpers/catalog-dump.ts, and `sqlite3 DB .schema` byte for byte.
 * Needs no ../shared: bundle images are made by umoci and pushed by skopeo to a test registry.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compareTables, dumpDatabase, formatDifference, notAllowed, replaceInStrings, sqliteSchema, type Json, type TableDump } from './helpers/catalog-dump.js';
import { removeOnExit } from './helpers/cleanup.js';
import { ferryAsync } from './helpers/cli.js';
import { goldenOpmDir, goldenSchemaFile, goldenSubstitutesFile, readGolden, REGISTRY_PLACEHOLDER, type GoldenCatalog } from './helpers/opm-goldens.js';
import { tempDir } from './helpers/paths.js';
import { startRegistry, type TestRegistry } from './helpers/registry.js';
import { pushSyntheticBundles, refsOf, writeSyntheticCatalog, type SyntheticCatalog } from './helpers/synthetic-catalog.js';

describe('ferry matches the opm goldens of the synthetic catalog', { concurrency: 3 }, () => {
  let registry: TestRegistry;
  let work: string;
  let catalog: SyntheticCatalog;
  let refs: Map<string, string[]>;

  before(async () => {
    work = tempDir('ferry-opm-goldens-');
    removeOnExit(work);
    registry = await startRegistry();
    catalog = writeSyntheticCatalog(path.join(work, 'input'));
    refs = await pushSyntheticBundles(catalog, registry.host);
  });
  after(async () => {
    await registry?.stop();
  });

  const build = async (name: string, args: string[]): Promise<string> => {
    const out = path.join(work, name);
    const r = await ferryAsync(['registry', 'build', ...args, '--db-only', '--save', out, '--json']);
    assert.equal(r.status, 0, `ferry registry build ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
    return path.join(out, 'index.db');
  };

  const argsFor = (c: GoldenCatalog): string[] =>
    c === 'manifests'
      ? catalog.manifestPackages.flatMap((p) => ['--from-dir', path.join(catalog.manifestsDir, p)])
      : ['--bundles', refsOf(refs, c === 'bundles-replaces' ? catalog.replacesPackages : catalog.semverPackages).join(','), '--mode', c === 'bundles-replaces' ? 'replaces' : 'semver', '--plain-http'];

  for (const c of ['manifests', 'bundles-replaces', 'bundles-semver'] as const) {
    it(`${c}: every table as opm wrote it, and opm's schema`, async (t) => {
      const db = await build(c, argsFor(c));
      const ferryTables = replaceInStrings((await dumpDatabase(db)) as unknown as Json, registry.host, REGISTRY_PLACEHOLDER) as unknown as TableDump;
      const opmTables = readGolden(goldenOpmDir, c, 'tables') as unknown as TableDump;
      const differences = compareTables(opmTables, ferryTables);
      const allowed = differences.filter((d) => d.allowedBy);
      if (allowed.length) t.diagnostic(`allowed: ${[...new Set(allowed.map((d) => d.allowedBy))].join(', ')} (${allowed.length})`);
      const bad = notAllowed(differences);
      for (const d of bad.slice(0, 30)) t.diagnostic(formatDifference(d));
      assert.equal(bad.length, 0, `${bad.length} differences from opm's tables:\n${bad.slice(0, 15).map(formatDifference).join('\n')}`);
      assert.equal(await sqliteSchema(db), readFileSync(goldenSchemaFile(goldenOpmDir), 'utf8'));
    });
  }

  it('olm.substitutesFor: refused as opm refuses it', async () => {
    const golden = JSON.parse(readFileSync(goldenSubstitutesFile(goldenOpmDir), 'utf8')) as { opmRefuses: boolean; message?: string };
    const out = path.join(work, 'substitutes');
    const r = await ferryAsync(['registry', 'build', '--from-dir', path.join(catalog.substitutesDir, 'synth-substitutes'), '--db-only', '--save', out, '--json']);
    assert.equal(r.status !== 0, golden.opmRefuses, `opm ${golden.opmRefuses ? `refuses (${golden.message})` : 'loads'} the olm.substitutesFor package; ferry exited ${r.status}: ${r.json?.error?.message ?? ''}`);
  });
});
