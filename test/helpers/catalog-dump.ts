/**
 * Catalogs made comparable: a schema-13 sqlite database read with the `sqlite3 -json` command (not
 * with ferry's code) into tables keyed by natural keys, `opm render` output keyed by object, and
 * regquery dumps with their JSON strings parsed; plus a structural compare that names every
 * difference (section, table/area, key, field, opm value vs ferry value) and marks the ones an
 * allowed-difference rule explains. The rules (ALLOWED_DIFFERENCES) are the one place that says what
 * may differ from opm and why; docs/catalog-database.md lists the same rules.
 *
 * Used by the main suite (synthetic goldens) and the conformance suite (real opm on the corpus), so
 * it reads nothing outside the repository.
 */
import { parseJsonStream } from '../../src/catalog/fbc/json-stream.js';
import { runChecked } from './exec.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

/** Every table: natural key → row (fields without rowids / entry ids; JSON columns parsed). */
export type TableDump = Record<string, Record<string, Obj>>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** JSON with object keys sorted: equal values give equal strings. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObj(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'undefined';
}

/** Concatenated JSON objects (opm's operatorbundle.bundle, opm render's output) as an array. */
export function splitJsonObjects(text: string): Json[] {
  return parseJsonStream(text, 'JSON stream') as Json[];
}

/** A JSON column's text parsed; '' and NULL stay as they are; text that is not JSON is kept, marked. */
function parseJsonColumn(v: Json): Json {
  if (typeof v !== 'string' || v === '') return v;
  try {
    return JSON.parse(v) as Json;
  } catch {
    return { unparsedJson: v };
  }
}

const keyPart = (v: Json | undefined): string => (v === null || v === undefined ? '∅' : String(v));
const key = (...parts: Array<Json | undefined>): string => parts.map(keyPart).join(' | ');

async function query(database: string, sql: string): Promise<Obj[]> {
  const r = await runChecked('sqlite3', ['-json', '-readonly', database, sql], { timeoutMs: 120_000 });
  return r.stdout.trim() === '' ? [] : (JSON.parse(r.stdout) as Obj[]);
}

/** Rows that may repeat (no natural primary key): key → { count }, plus the row's own fields. */
function counted(rows: Obj[], keyOf: (r: Obj) => string, fields: (r: Obj) => Obj = () => ({})): Record<string, Obj> {
  const out: Record<string, Obj> = {};
  for (const r of rows) {
    const k = keyOf(r);
    const prev = out[k];
    out[k] = prev ? { ...prev, count: (prev['count'] as number) + 1 } : { ...fields(r), count: 1 };
  }
  return out;
}

const t = (column: string): string => `CAST(${column} AS TEXT) AS ${column}`;

/**
 * Reads every table of a schema-13 database (and its sqlite_master) into a TableDump. TEXT and
 * BLOB storage read the same (every text column is CAST to TEXT).
 */
export async function dumpDatabase(database: string): Promise<TableDump> {
  const dump: TableDump = {};
  const master = await query(database, "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex_%' ORDER BY type, name");
  dump['sqlite_master'] = Object.fromEntries(master.map((r) => [key(r['type'], r['name']), { tbl_name: r['tbl_name'], sql: r['sql'] }]));
  const tables = new Set(master.filter((r) => r['type'] === 'table').map((r) => String(r['name'])));
  const has = (name: string): boolean => tables.has(name);

  if (has('schema_migrations')) {
    dump['schema_migrations'] = counted(await query(database, `SELECT version, ${t('timestamp')} FROM schema_migrations`), (r) => key(r['version']), (r) => ({ timestamp: r['timestamp'] }));
  }
  if (has('package')) {
    dump['package'] = Object.fromEntries((await query(database, `SELECT ${t('name')}, ${t('default_channel')} FROM package`)).map((r) => [key(r['name']), { default_channel: r['default_channel'] }]));
  }
  if (has('channel')) {
    dump['channel'] = Object.fromEntries((await query(database, `SELECT ${t('name')}, ${t('package_name')}, ${t('head_operatorbundle_name')} FROM channel`)).map((r) => [key(r['package_name'], r['name']), { head_operatorbundle_name: r['head_operatorbundle_name'] }]));
  }
  if (has('channel_entry')) {
    const rows = await query(database, `SELECT entry_id, ${t('channel_name')}, ${t('package_name')}, ${t('operatorbundle_name')}, replaces, depth FROM channel_entry`);
    const byId = new Map(rows.map((r) => [r['entry_id'], r]));
    dump['channel_entry'] = counted(rows, (r) => {
      const target = r['replaces'] === null ? undefined : byId.get(r['replaces']);
      const replaces = r['replaces'] === null ? '∅' : target ? `${keyPart(target['operatorbundle_name'])}@${keyPart(target['depth'])}` : `missing entry ${String(r['replaces'])}`;
      return key(r['package_name'], r['channel_name'], r['operatorbundle_name'], r['depth'], `replaces ${replaces}`);
    });
  }
  if (has('operatorbundle')) {
    const rows = await query(database, `SELECT ${['name', 'csv', 'bundle', 'bundlepath', 'skiprange', 'version', 'replaces', 'skips', 'substitutesfor'].map(t).join(', ')} FROM operatorbundle`);
    dump['operatorbundle'] = Object.fromEntries(rows.map((r) => {
      const bundle = r['bundle'];
      return [key(r['name']), {
        csv: parseJsonColumn(r['csv']!),
        bundle: typeof bundle === 'string' && bundle !== '' ? splitJsonObjects(bundle) : bundle!,
        bundlepath: r['bundlepath']!,
        skiprange: r['skiprange']!,
        version: r['version']!,
        replaces: r['replaces']!,
        skips: r['skips']!,
        substitutesfor: r['substitutesfor']!,
      }];
    }));
  }
  if (has('related_image')) {
    dump['related_image'] = counted(await query(database, `SELECT ${t('image')}, ${t('operatorbundle_name')} FROM related_image`), (r) => key(r['operatorbundle_name'], r['image']));
  }
  if (has('api')) {
    dump['api'] = counted(await query(database, `SELECT ${t('group_name')}, ${t('version')}, ${t('kind')}, ${t('plural')} FROM api`), (r) => key(r['group_name'], r['version'], r['kind']), (r) => ({ plural: r['plural']! }));
  }
  for (const table of ['api_provider', 'api_requirer']) {
    if (!has(table)) continue;
    dump[table] = counted(
      await query(database, `SELECT ${['group_name', 'version', 'kind', 'operatorbundle_name', 'operatorbundle_version', 'operatorbundle_path'].map(t).join(', ')} FROM ${table}`),
      (r) => key(r['operatorbundle_name'], r['operatorbundle_version'], r['operatorbundle_path'], `${keyPart(r['group_name'])}/${keyPart(r['version'])}/${keyPart(r['kind'])}`),
    );
  }
  for (const table of ['properties', 'dependencies']) {
    if (!has(table)) continue;
    dump[table] = counted(
      await query(database, `SELECT ${['type', 'value', 'operatorbundle_name', 'operatorbundle_version', 'operatorbundle_path'].map(t).join(', ')} FROM ${table}`),
      (r) => key(r['operatorbundle_name'], r['operatorbundle_version'], r['operatorbundle_path'], r['type'], canonical(parseJsonColumn(r['value']!))),
    );
  }
  if (has('deprecated')) {
    dump['deprecated'] = counted(await query(database, `SELECT ${t('operatorbundle_name')} FROM deprecated`), (r) => key(r['operatorbundle_name']));
  }
  // Any other table (none in schema 13): its rows as a multiset.
  for (const table of [...tables].sort()) {
    if (table in dump) continue;
    dump[table] = counted(await query(database, `SELECT * FROM "${table.replace(/"/g, '""')}"`), (r) => canonical(r));
  }
  return dump;
}

/** `sqlite3 DB .schema`, exactly as the command prints it. */
export async function sqliteSchema(database: string): Promise<string> {
  return (await runChecked('sqlite3', ['-readonly', database, '.schema'])).stdout;
}

/** Every string of `value` with `from` replaced by `to` (e.g. the test registry's host:port by a placeholder). */
export function replaceInStrings<T extends Json>(value: T, from: string, to: string): T {
  const walk = (v: Json): Json => {
    if (typeof v === 'string') return v.split(from).join(to);
    if (Array.isArray(v)) return v.map(walk);
    if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.split(from).join(to), walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/**
 * `opm render` output (an array of objects, in opm's order) keyed by `schema | package | name`;
 * `olm.bundle.object` data (base64 JSON) decoded so a difference inside a manifest reads as one.
 */
export function normalizeRender(objects: readonly Json[]): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const o of objects) {
    if (!isObj(o)) continue;
    const k = key(o['schema'], o['schema'] === 'olm.package' ? o['name'] : o['package'], o['name']);
    out[out[k] === undefined ? k : `${k} (#${Object.keys(out).filter((x) => x.startsWith(k)).length + 1})`] = decodeBundleObjects(o);
  }
  return out;
}

function decodeBundleObjects(o: Obj): Obj {
  const properties = o['properties'];
  if (!Array.isArray(properties)) return o;
  return {
    ...o,
    properties: properties.map((p) => {
      if (!isObj(p) || p['type'] !== 'olm.bundle.object' || !isObj(p['value']) || typeof p['value']['data'] !== 'string') return p;
      return { ...p, value: { decoded: parseJsonColumn(Buffer.from(p['value']['data'], 'base64').toString('utf8')) } };
    }),
  };
}

/** A regquery dump with its JSON strings parsed (csvJson, object[], dependency/property values). */
export function normalizeRegquery(dump: Json): Json {
  const walk = (v: Json, parentKey: string): Json => {
    if (Array.isArray(v)) return v.map((x) => (parentKey === 'object' ? parseJsonColumn(x) : walk(x, parentKey)));
    if (!isObj(v)) return v;
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === 'csvJson') out[k] = parseJsonColumn(x);
      else if (k === 'value' && (parentKey === 'properties' || parentKey === 'dependencies')) out[k] = parseJsonColumn(x);
      else out[k] = walk(x, k);
    }
    return out;
  };
  return walk(dump, '');
}

// ---------------------------------------------------------------------------------------------
// Comparing

export type Section = 'tables' | 'schema' | 'render' | 'regquery';
export type DifferenceKind =
  | 'value' // both have it, values differ
  | 'only-opm' // opm has it, ferry does not
  | 'only-ferry' // ferry has it, opm does not
  | 'order'; // the same elements in another order

export interface Difference {
  section: Section;
  /** Table (tables), top-level answer (regquery), object key (render). */
  area: string;
  /** Row key (tables), answer key (regquery), '' otherwise. */
  key: string;
  /** Path inside the row / object (field names and [element keys]). */
  field: string[];
  kind: DifferenceKind;
  opm?: Json;
  ferry?: Json;
  /** Name of the allowed-difference rule that explains it, when one does. */
  allowedBy?: string;
}

/** A named difference ferry may have from opm, with the reason; `matches` decides per difference. */
export interface AllowedDifference {
  name: string;
  reason: string;
  matches(d: Difference): boolean;
}

const last = (d: Difference): string => d.field[d.field.length - 1] ?? '';
const API_LISTS = new Set(['providedApis', 'requiredApis', 'properties', 'dependencies']);

/**
 * The allowed differences: the only ways ferry's catalog may differ from opm's. Keep
 * docs/catalog-database.md ("Allowed differences") in step with this list.
 */
export const ALLOWED_DIFFERENCES: readonly AllowedDifference[] = [
  {
    name: 'schema-migrations-timestamp',
    reason: 'opm stamps schema_migrations with the clock; ferry writes SOURCE_DATE_EPOCH (or 1970-01-01 00:00:00) so the same input gives the same database bytes.',
    matches: (d) => d.section === 'tables' && d.area === 'schema_migrations' && d.kind === 'value' && last(d) === 'timestamp',
  },
  {
    name: 'olm-package-duplicate-rows',
    reason: 'opm writes one olm.package property row per channel visit of a bundle (duplicates); ferry writes one. Properties are compared per bundle as a set: readers use SELECT DISTINCT, so render and gRPC answers are the same.',
    matches: (d) =>
      d.section === 'tables' && d.area === 'properties' && d.kind === 'value' && last(d) === 'count' && d.key.split(' | ')[3] === 'olm.package' &&
      typeof d.opm === 'number' && typeof d.ferry === 'number' && d.opm >= 1 && d.ferry >= 1,
  },
  {
    name: 'api-list-order',
    reason: 'opm builds the provided/required API lists and the olm.gvk properties from Go maps, so their order changes from one opm run to the next; they are compared as sets (render properties, gRPC providedApis/requiredApis/properties/dependencies).',
    matches: (d) =>
      d.kind === 'order' &&
      ((d.section === 'render' && last(d) === 'properties') || (d.section === 'regquery' && API_LISTS.has(last(d)))),
  },
  {
    name: 'bundle-hash-of-order',
    reason: "regquery's `Sha` hashes a bundle answer with its lists in server order (see api-list-order); its `ShaSorted` (lists sorted) is compared instead, and must match.",
    matches: (d) => d.section === 'regquery' && d.kind === 'value' && last(d) === 'Sha',
  },
];

/** Readable key of an array element when it has one (k8s object, FBC object, typed value, named item). */
function elementKey(v: Json): string | undefined {
  if (!isObj(v)) return undefined;
  const meta = v['metadata'];
  if (typeof v['kind'] === 'string' && isObj(meta) && typeof meta['name'] === 'string') return `${v['kind']} ${meta['name']}`;
  if (typeof v['schema'] === 'string') return key(v['schema'], v['package'], v['name']);
  if (typeof v['csvName'] === 'string' && typeof v['channelName'] === 'string') return `${keyPart(v['packageName'])}/${v['channelName']}/${v['csvName']}`;
  if (typeof v['type'] === 'string' && 'value' in v) {
    const value = v['value'];
    const inner = isObj(value) && isObj(value['decoded']) ? elementKey(value['decoded']) : undefined;
    return `${v['type']} ${inner ?? canonical(value)}`;
  }
  if (typeof v['group'] === 'string' && typeof v['kind'] === 'string') return `${v['group']}/${keyPart(v['version'])}/${v['kind']}`;
  if (typeof v['name'] === 'string' && v['name'] !== '') return `${v['name']}${typeof v['image'] === 'string' ? ` ${v['image']}` : ''}`;
  return undefined;
}

function diffValues(a: Json | undefined, b: Json | undefined, at: string[], emit: (field: string[], kind: DifferenceKind, opm?: Json, ferry?: Json) => void): void {
  if (a === undefined && b === undefined) return;
  if (a === undefined) return emit(at, 'only-ferry', undefined, b);
  if (b === undefined) return emit(at, 'only-opm', a, undefined);
  if (Array.isArray(a) && Array.isArray(b)) return diffArrays(a, b, at, emit);
  if (isObj(a) && isObj(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) diffValues(a[k], b[k], [...at, k], emit);
    return;
  }
  if (canonical(a) !== canonical(b)) emit(at, 'value', a, b);
}

function diffArrays(a: Json[], b: Json[], at: string[], emit: (field: string[], kind: DifferenceKind, opm?: Json, ferry?: Json) => void): void {
  if (canonical(a) === canonical(b)) return;
  const ca = a.map(canonical);
  const cb = b.map(canonical);
  if (ca.length === cb.length && [...ca].sort().join('\n') === [...cb].sort().join('\n')) return emit(at, 'order', a, b);
  const ka = a.map(elementKey);
  const kb = b.map(elementKey);
  const unique = (ks: Array<string | undefined>): boolean => ks.every((k) => k !== undefined) && new Set(ks).size === ks.length;
  if (unique(ka) && unique(kb)) {
    const ma = new Map(a.map((v, i) => [ka[i]!, v]));
    const mb = new Map(b.map((v, i) => [kb[i]!, v]));
    for (const k of [...new Set([...ma.keys(), ...mb.keys()])]) diffValues(ma.get(k), mb.get(k), [...at, `[${k}]`], emit);
    const common = ka.filter((k) => mb.has(k!));
    if (common.join('\n') !== kb.filter((k) => ma.has(k!)).join('\n')) emit(at, 'order', ka as string[], kb as string[]);
    return;
  }
  if (a.length === b.length && ka.every((k, i) => k === kb[i])) {
    a.forEach((v, i) => diffValues(v, b[i], [...at, `[${ka[i] ?? i}]`], emit));
    return;
  }
  // A multiset difference: the elements only one side has.
  const count = (cs: string[]): Map<string, number> => cs.reduce((m, c) => m.set(c, (m.get(c) ?? 0) + 1), new Map<string, number>());
  const na = count(ca);
  const nb = count(cb);
  const onlyA = a.filter((_, i) => {
    const n = nb.get(ca[i]!) ?? 0;
    if (n > 0) {
      nb.set(ca[i]!, n - 1);
      return false;
    }
    return true;
  });
  const onlyB = b.filter((_, i) => {
    const n = na.get(cb[i]!) ?? 0;
    if (n > 0) {
      na.set(cb[i]!, n - 1);
      return false;
    }
    return true;
  });
  emit([...at, '(elements)'], 'value', onlyA, onlyB);
}

/**
 * Compares two keyed structures (area → key → value, or area → value when `keyed` is false) and
 * returns every difference, each marked with the allowed-difference rule that explains it, if any.
 */
export function compareSection(section: Section, opm: Record<string, Json>, ferry: Record<string, Json>, options: { keyed?: boolean; rules?: readonly AllowedDifference[] } = {}): Difference[] {
  const rules = options.rules ?? ALLOWED_DIFFERENCES;
  const out: Difference[] = [];
  for (const area of [...new Set([...Object.keys(opm), ...Object.keys(ferry)])].sort()) {
    const a = opm[area];
    const b = ferry[area];
    const record = (k: string) => (field: string[], kind: DifferenceKind, o?: Json, f?: Json): void => {
      const d: Difference = { section, area, key: k, field, kind, ...(o === undefined ? {} : { opm: o }), ...(f === undefined ? {} : { ferry: f }) };
      const rule = rules.find((r) => r.matches(d));
      if (rule) d.allowedBy = rule.name;
      out.push(d);
    };
    if (options.keyed && (isObj(a) || a === undefined) && (isObj(b) || b === undefined)) {
      const ra = (a ?? {}) as Obj;
      const rb = (b ?? {}) as Obj;
      for (const k of [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort()) diffValues(ra[k], rb[k], [], record(k));
    } else {
      diffValues(a, b, [], record(''));
    }
  }
  return out;
}

export const compareTables = (opm: TableDump, ferry: TableDump): Difference[] => compareSection('tables', opm as Record<string, Json>, ferry as Record<string, Json>, { keyed: true });
export const compareRender = (opm: Record<string, Json>, ferry: Record<string, Json>): Difference[] => compareSection('render', opm, ferry);
export const compareRegquery = (opm: Json, ferry: Json): Difference[] => compareSection('regquery', opm as Record<string, Json>, ferry as Record<string, Json>, { keyed: true });

/** Differences no rule allows. */
export const notAllowed = (ds: readonly Difference[]): Difference[] => ds.filter((d) => d.allowedBy === undefined);

function brief(v: Json | undefined, max = 160): string {
  if (v === undefined) return '(absent)';
  const s = typeof v === 'string' ? JSON.stringify(v) : canonical(v);
  return s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s;
}

/** One line: `tables operatorbundle [etcdoperator.v0.9.2] csv.spec.version: opm "0.9.2" vs ferry "0.9.3"`. */
export function formatDifference(d: Difference): string {
  const where = [d.section, d.area, d.key ? `[${d.key}]` : '', d.field.join('.')].filter((s) => s !== '').join(' ');
  const what =
    d.kind === 'only-opm' ? `only opm has it: ${brief(d.opm)}` :
    d.kind === 'only-ferry' ? `only ferry has it: ${brief(d.ferry)}` :
    d.kind === 'order' ? `same elements, other order: opm ${brief(d.opm, 100)} vs ferry ${brief(d.ferry, 100)}` :
    `opm ${brief(d.opm)} vs ferry ${brief(d.ferry)}`;
  return `${where}: ${what}${d.allowedBy ? ` (allowed: ${d.allowedBy})` : ''}`;
}

/** A compact, JSON-friendly form of differences for reports (values shortened). */
export function summarize(ds: readonly Difference[], limit = 200): Array<Record<string, Json>> {
  return ds.slice(0, limit).map((d) => ({
    section: d.section, area: d.area, key: d.key, field: d.field.join('.'), kind: d.kind,
    ...(d.opm === undefined ? {} : { opm: brief(d.opm, 400) }),
    ...(d.ferry === undefined ? {} : { ferry: brief(d.ferry, 400) }),
    ...(d.allowedBy ? { allowedBy: d.allowedBy } : {}),
  }));
}
