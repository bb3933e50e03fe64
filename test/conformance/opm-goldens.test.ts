/**
 * The committed opm goldens (test/golden/opm) are still what real opm makes of the synthetic catalog:
 * they are regenerated into a temp folder with real opm and compared with the committed files, views
 * with the catalog-dump compare (every difference, allowed or not, fails: the stored forms are
 * stable), schema.sql and substitutes.json byte for byte.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { compareSection, formatDifference, type Json } from '../helpers/catalog-dump.js';
import { removeOnExit } from '../helpers/cleanup.js';
import { GOLDEN_CATALOGS, goldenOpmDir, goldenSchemaFile, goldenSubstitutesFile, readGolden } from '../helpers/opm-goldens.js';
import { tempDir } from '../helpers/paths.js';
import { makeOpmGoldens } from './opm-goldens.js';

describe('opm goldens are what opm says', () => {
  let fresh: string;
  before(async () => {
    fresh = path.join(tempDir('ferry-opm-goldens-check-'), 'opm');
    removeOnExit(path.dirname(fresh));
    await makeOpmGoldens(fresh);
  });

  for (const c of GOLDEN_CATALOGS) {
    for (const view of ['tables', 'render', 'regquery'] as const) {
      it(`${c} ${view}`, () => {
        const committed = readGolden(goldenOpmDir, c, view) as Record<string, Json>;
        const regenerated = readGolden(fresh, c, view) as Record<string, Json>;
        const section = view === 'tables' ? 'tables' : view;
        const differences = compareSection(section, committed, regenerated, { keyed: view !== 'render' });
        assert.equal(differences.length, 0, `opm now gives another ${c} ${view} (committed = "opm", regenerated = "ferry" below); rerun npm run goldens:opm if opm changed:\n${differences.slice(0, 20).map(formatDifference).join('\n')}`);
      });
    }
  }
  it('schema.sql and substitutes.json', () => {
    assert.equal(readFileSync(goldenSchemaFile(fresh), 'utf8'), readFileSync(goldenSchemaFile(goldenOpmDir), 'utf8'));
    assert.deepEqual(JSON.parse(readFileSync(goldenSubstitutesFile(fresh), 'utf8')), JSON.parse(readFileSync(goldenSubstitutesFile(goldenOpmDir), 'utf8')));
  });
});
