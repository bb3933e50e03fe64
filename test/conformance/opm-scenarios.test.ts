/**
 * The opm-fidelity scenarios (test/helpers/opm-scenarios.ts) run with real opm v1.26.0: its results
 * must equal the goldens the main suite compares ferry with (test/golden/opm-scenarios.json), so the
 * goldens stay what opm says. FERRY_WRITE_GOLDENS=1 rewrites the file from this run (all but the
 * semver-skippatch scenario, whose golden is the graph opm gives for lowest-version-first insertion).
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run } from '../helpers/exec.js';
import { pushScenarioImages, runScenario, SCENARIO_GOLDEN, SCENARIOS, SKIPPATCH, type CatalogBuilder, type Mode, type ScenarioOutcome } from '../helpers/opm-scenarios.js';
import { repoRoot } from '../helpers/paths.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { opmBin } from './opm.js';

async function opmAdd(refs: readonly string[], mode: Mode, database: string): Promise<boolean> {
  const r = await run(opmBin, ['registry', 'add', '-b', refs.join(','), '-d', database, '--mode', mode, '-c', 'none', '--use-http'], { timeoutMs: 300_000 });
  return r.status === 0;
}

const opm: CatalogBuilder = {
  async build(refs, mode, database) {
    rmSync(database, { force: true });
    return opmAdd(refs, mode, database);
  },
  add: opmAdd,
};

const goldenFile = path.join(repoRoot, SCENARIO_GOLDEN);
const golden = (): Record<string, ScenarioOutcome> => JSON.parse(readFileSync(goldenFile, 'utf8')) as Record<string, ScenarioOutcome>;

describe('opm-fidelity scenarios with real opm', () => {
  let registry: TestRegistry;
  let refs: Map<string, string>;
  before(async () => {
    registry = await startRegistry({ auth: 'none' });
    refs = await pushScenarioImages(registry.host);
  });
  after(async () => registry.stop());

  it('equal the goldens the main suite compares ferry with', async () => {
    const outcome: Record<string, ScenarioOutcome> = {};
    for (const s of SCENARIOS) if (s.name !== SKIPPATCH) outcome[s.name] = await runScenario(opm, s, refs);
    if (process.env.FERRY_WRITE_GOLDENS === '1') writeFileSync(goldenFile, `${JSON.stringify({ ...outcome, [SKIPPATCH]: golden()[SKIPPATCH] }, null, 2)}\n`);
    const { [SKIPPATCH]: _skip, ...expected } = golden();
    assert.deepEqual(outcome, expected);
  });

  it('semver-skippatch: the golden graph is one opm gives (opm varies from run to run and mostly refuses)', async () => {
    const scenario = SCENARIOS.find((s) => s.name === SKIPPATCH)!;
    const seen = new Map<string, number>();
    const want = JSON.stringify(golden()[SKIPPATCH]);
    for (let i = 0; i < 30 && !seen.has(want); i++) {
      const key = JSON.stringify(await runScenario(opm, scenario, refs));
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    const runs = [...seen.values()].reduce((a, b) => a + b, 0);
    assert.ok(seen.has(want), `in ${runs} runs opm never gave the golden graph; it gave: ${[...seen.keys()].join('\n')}`);
  });
});
