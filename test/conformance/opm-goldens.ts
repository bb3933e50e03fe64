/**
 * Makes the opm goldens: writes the synthetic catalog to a temp folder, builds it with real opm
 * (initializer for the package-manifest packages; bundle images by umoci + skopeo in a test registry
 * and `opm registry add` in replaces and semver modes) and writes into OUT: per catalog the table
 * dump, `opm render` output and regquery dump of `opm registry serve` (stable forms, see
 * test/helpers/opm-goldens.ts), schema.sql (`sqlite3 DB .schema` of opm's database) and what
 * initializer does with a CSV naming olm.substitutesFor (substitutes.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sqliteSchema } from '../helpers/catalog-dump.js';
import { removeDir } from '../helpers/cleanup.js';
import { tempDir } from '../helpers/paths.js';
import { goldenFile, goldenJson, goldenSchemaFile, goldenSubstitutesFile, REGISTRY_PLACEHOLDER, stableRegquery, stableRender, stableTables, type GoldenCatalog } from '../helpers/opm-goldens.js';
import { startRegistry } from '../helpers/registry.js';
import { pushSyntheticBundles, refsOf, writeSyntheticCatalog } from '../helpers/synthetic-catalog.js';
import { viewDatabase } from './opm-compare.js';
import { initializeDatabase, initializerBin, opmRegistryAdd } from './opm.js';
import { run } from '../helpers/exec.js';

export async function makeOpmGoldens(out: string): Promise<void> {
  const work = tempDir('ferry-opm-goldens-');
  const registry = await startRegistry();
  try {
    const catalog = writeSyntheticCatalog(path.join(work, 'input'));
    const refs = await pushSyntheticBundles(catalog, registry.host);
    const dbs: Record<GoldenCatalog, string> = {
      manifests: path.join(work, 'manifests.db'),
      'bundles-replaces': path.join(work, 'bundles-replaces.db'),
      'bundles-semver': path.join(work, 'bundles-semver.db'),
    };
    await initializeDatabase(catalog.manifestsDir, dbs.manifests);
    const substitutes = await run(initializerBin, ['-m', catalog.substitutesDir, '-o', path.join(work, 'substitutes.db')], { cwd: work });
    const refusal = substitutes.status === 0 ? undefined : substitutes.stderr.match(/error="((?:[^"\\]|\\.)*)"/)?.[1] ?? substitutes.stderr.trim().split('\n').pop();
    await opmRegistryAdd(dbs['bundles-replaces'], refsOf(refs, catalog.replacesPackages), 'replaces', work);
    await opmRegistryAdd(dbs['bundles-semver'], refsOf(refs, catalog.semverPackages), 'semver', work);

    mkdirSync(out, { recursive: true });
    const schema = await sqliteSchema(dbs.manifests);
    for (const [name, db] of Object.entries(dbs) as Array<[GoldenCatalog, string]>) {
      const other = await sqliteSchema(db);
      if (other !== schema) throw new Error(`opm's ${name} database has another schema than its initializer database`);
      const view = await viewDatabase(db, { from: registry.host, to: REGISTRY_PLACEHOLDER });
      writeFileSync(goldenFile(out, name, 'tables'), goldenJson(stableTables(view.tables)));
      writeFileSync(goldenFile(out, name, 'render'), goldenJson(stableRender(view.render)));
      writeFileSync(goldenFile(out, name, 'regquery'), goldenJson(stableRegquery(view.regquery)));
    }
    writeFileSync(goldenSchemaFile(out), schema);
    writeFileSync(goldenSubstitutesFile(out), goldenJson({ opmRefuses: refusal !== undefined, ...(refusal === undefined ? {} : { message: refusal.replaceAll(work, '<work>') }) }));
  } finally {
    await registry.stop();
    removeDir(work);
  }
}
