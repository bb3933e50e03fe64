/**
 * The opm goldens (test/golden/opm): what real opm made of the synthetic catalog
 * (test/helpers/synthetic-catalog.ts), stored so the main suite can compare ferry with opm without
 * opm. Written by `npm run goldens:opm` (test/conformance/make-opm-goldens.ts); checked against a
 * fresh opm run by test/conformance/opm-goldens.test.ts.
 *
 * Stored forms, chosen so a regeneration gives the same files:
 * - the test registry's host:port is REGISTRY_PLACEHOLDER;
 * - schema_migrations' timestamp (opm's clock) is TIMESTAMP_PLACEHOLDER (rule schema-migrations-timestamp);
 * - lists opm orders by Go map iteration (rule api-list-order) are stored sorted;
 * - regquery's Sha / ShaSorted hashes are left out: they hash bundlePath, which names the registry's
 *   port; the hashed answers themselves are stored (getBundle, listBundles).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { canonical, type Json, type TableDump } from './catalog-dump.js';
import { repoRoot } from './paths.js';

export const goldenOpmDir = path.join(repoRoot, 'test', 'golden', 'opm');
export const REGISTRY_PLACEHOLDER = 'registry.placeholder.invalid:5000';
export const TIMESTAMP_PLACEHOLDER = '<opm clock time>';

/** The catalogs the goldens hold: one database each. */
export const GOLDEN_CATALOGS = ['manifests', 'bundles-replaces', 'bundles-semver'] as const;
export type GoldenCatalog = (typeof GOLDEN_CATALOGS)[number];

export const goldenFile = (dir: string, catalog: GoldenCatalog, view: 'tables' | 'render' | 'regquery'): string => path.join(dir, `${catalog}.${view}.json`);
export const goldenSchemaFile = (dir: string): string => path.join(dir, 'schema.sql');
/** `{ opmRefuses, message? }`: initializer on the synth-substitutes folder (olm.substitutesFor). */
export const goldenSubstitutesFile = (dir: string): string => path.join(dir, 'substitutes.json');

export function readGolden(dir: string, catalog: GoldenCatalog, view: 'tables' | 'render' | 'regquery'): Json {
  const file = goldenFile(dir, catalog, view);
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run goldens:opm (needs ../shared/tools/opm)`);
  return JSON.parse(readFileSync(file, 'utf8')) as Json;
}

/** schema_migrations' timestamp replaced by the placeholder. */
export function stableTables(tables: TableDump): TableDump {
  const out: TableDump = { ...tables };
  if (out['schema_migrations']) {
    out['schema_migrations'] = Object.fromEntries(Object.entries(out['schema_migrations']).map(([k, row]) => [k, { ...row, timestamp: TIMESTAMP_PLACEHOLDER }]));
  }
  return out;
}

const isObj = (v: unknown): v is Record<string, Json> => v !== null && typeof v === 'object' && !Array.isArray(v);
const sortedList = (v: Json): Json => (Array.isArray(v) ? [...v].sort((a, b) => (canonical(a) < canonical(b) ? -1 : canonical(a) > canonical(b) ? 1 : 0)) : v);

/** Render output with every object's properties list sorted. */
export function stableRender(render: Record<string, Json>): Record<string, Json> {
  return Object.fromEntries(Object.entries(render).map(([k, o]) => [k, isObj(o) && Array.isArray(o['properties']) ? { ...o, properties: sortedList(o['properties']) } : o]));
}

const REGQUERY_LISTS = new Set(['providedApis', 'requiredApis', 'properties', 'dependencies']);

/** A regquery dump with its map-ordered lists sorted and the port-dependent hashes left out. */
export function stableRegquery(dump: Json): Json {
  const walk = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(walk);
    if (!isObj(v)) return v;
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === 'Sha' || k === 'ShaSorted') continue;
      out[k] = REGQUERY_LISTS.has(k) ? sortedList(walk(x)) : walk(x);
    }
    return out;
  };
  return walk(dump);
}

/** JSON as the golden files hold it. */
export const goldenJson = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
