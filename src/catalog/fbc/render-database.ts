/**
 * An operator-registry database rendered as a file-based catalog, the way `opm render DB` (and
 * `opm migrate`) of operator-registry v1.26 does it (pkg/sqlite/conversion.go, query.go
 * ListBundles, alpha/declcfg): what the database holds, not what its CSVs would give again.
 *
 * - Channel entries come from the upgrade graph (channel_entry), with opm's own ListBundles query:
 *   `replaces` follows the chain from the channel heads, every other inbound edge is a skip;
 *   `skipRange` is the bundle's column. Entries are sorted by name, channels and bundles too.
 * - A bundle's objects (olm.bundle.object) are the JSON values of its `bundle` column, as stored;
 *   a bundle whose columns opm cleared (semver mode, non-head bundles) has none.
 * - Properties: the `properties` rows, text kept (compacted), olm.gvk rebuilt; `dependencies` rows
 *   of type olm.gvk and olm.package become olm.gvk.required and olm.package.required (others are
 *   not rendered, as in opm); olm.package is made from the version when no row has it; then
 *   deduplicated and sorted by type and value, objects last.
 * - Related images: the CSV's spec.relatedImages plus the related_image rows not already named,
 *   sorted by image.
 * - The package icon: the first spec.icon of the CSV heading the default channel.
 * A package is rendered only when asked for, bundle by bundle, so a large catalog is never held
 * whole as text.
 */
import { ExitCode, FerryError } from '../../errors.js';
import { compareBytes } from '../../util/compare-bytes.js';
import { goSortSlice } from '../../util/go-sort.js';
import { queryColumn, queryRows, type Database, type SqlValue } from '../sqlite/database.js';
import { SCHEMA_BUNDLE, SCHEMA_CHANNEL, SCHEMA_PACKAGE, type FbcBundle, type FbcChannel, type FbcIcon, type FbcPackageContent, type FbcProperty, type FbcRelatedImage } from './declcfg.js';
import { compactJson, goString, RawJson } from './go-json-indent.js';
import { splitJsonValues } from './json-values.js';

/** opm's ListBundles graph query (query.go), restricted to one package, without the bundle text. */
const ENTRIES_QUERY = `
WITH RECURSIVE
tip (depth) AS (
  SELECT min(depth)
  FROM channel_entry
), replaces_entry (entry_id, replaces) AS (
  SELECT entry_id, replaces
    FROM channel_entry
      INNER JOIN tip ON channel_entry.depth = tip.depth
  UNION
  SELECT channel_entry.entry_id, channel_entry.replaces
    FROM channel_entry
      INNER JOIN replaces_entry
        ON channel_entry.entry_id = replaces_entry.replaces
), replaces_bundle (entry_id, operatorbundle_name, package_name, channel_name, replaces) AS (
  SELECT min(all_entry.entry_id), all_entry.operatorbundle_name, all_entry.package_name, all_entry.channel_name, max(replaced_entry.operatorbundle_name)
    FROM channel_entry AS all_entry
      LEFT OUTER JOIN replaces_entry
        ON all_entry.entry_id = replaces_entry.entry_id
      LEFT OUTER JOIN channel_entry AS replaced_entry
        ON replaces_entry.replaces = replaced_entry.entry_id
    GROUP BY all_entry.operatorbundle_name, all_entry.package_name, all_entry.channel_name
), skips_entry (entry_id, skips) AS (
  SELECT entry_id, replaces
    FROM channel_entry
    WHERE replaces IS NOT NULL
  EXCEPT
  SELECT entry_id, replaces
    FROM replaces_entry
), skips_bundle (operatorbundle_name, package_name, channel_name, skips) AS (
  SELECT all_entry.operatorbundle_name, all_entry.package_name, all_entry.channel_name, group_concat(skipped_entry.operatorbundle_name, ",")
    FROM skips_entry
      INNER JOIN channel_entry AS all_entry
        ON skips_entry.entry_id = all_entry.entry_id
      INNER JOIN channel_entry AS skipped_entry
        ON skips_entry.skips = skipped_entry.entry_id
    GROUP BY all_entry.operatorbundle_name, all_entry.package_name, all_entry.channel_name
)
SELECT
    operatorbundle.name AS name,
    replaces_bundle.channel_name AS channel,
    replaces_bundle.replaces AS replaces,
    skips_bundle.skips AS skips,
    operatorbundle.version AS version,
    operatorbundle.skiprange AS skiprange,
    operatorbundle.bundlepath AS bundlepath
  FROM replaces_bundle
    INNER JOIN operatorbundle
      ON replaces_bundle.operatorbundle_name = operatorbundle.name
    LEFT OUTER JOIN skips_bundle
      ON replaces_bundle.operatorbundle_name = skips_bundle.operatorbundle_name
        AND replaces_bundle.package_name = skips_bundle.package_name
        AND replaces_bundle.channel_name = skips_bundle.channel_name
  WHERE replaces_bundle.package_name = ?`;

interface EntryRow extends Record<string, SqlValue> {
  name: string | null;
  channel: string | null;
  replaces: string | null;
  skips: string | null;
  version: string | null;
  skiprange: string | null;
  bundlepath: string | null;
}

/** A database that cannot be rendered (opm's model validation would refuse it too). */
export class RenderError extends FerryError {
  constructor(message: string) {
    super('INVALID_CATALOG', message, ExitCode.invalidInput);
  }
}

/** The packages of the database, in the order opm writes them (byte order of names). */
export function listRenderPackages(db: Database): string[] {
  return queryColumn<string | null>(db, 'SELECT DISTINCT name FROM package')
    .filter((n): n is string => n !== null)
    .sort(compareBytes);
}

/** One package as file-based-catalog objects; its bundles are built as they are iterated. */
export function renderPackage(db: Database, name: string): FbcPackageContent {
  const defaultChannel = queryColumn<string | null>(db, 'SELECT default_channel FROM package WHERE name=? LIMIT 1', [name])[0] ?? '';
  const channelNames = queryColumn<string | null>(db, 'SELECT DISTINCT name FROM channel WHERE package_name=?', [name]).filter((n): n is string => n !== null);
  const known = new Set(channelNames);
  if (!known.has(defaultChannel)) throw new RenderError(`package ${name}: default channel "${defaultChannel}" is not one of its channels (${channelNames.join(', ') || 'none'})`);

  const rows = queryRows<EntryRow>(db, ENTRIES_QUERY, [name]).filter((r) => r.name !== null && r.version !== null && r.bundlepath !== null && r.channel !== null);
  const entries = new Map<string, FbcChannel['entries']>(channelNames.map((c) => [c, []]));
  const bundleNames: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const channel = entries.get(row.channel!);
    if (channel === undefined) throw new RenderError(`bundle ${row.name}: unknown channel "${row.channel}" of package ${name}`);
    channel.push({
      name: row.name!,
      ...(row.replaces ? { replaces: row.replaces } : {}),
      ...(row.skips !== null ? { skips: row.skips.split(',') } : {}),
      ...(row.skiprange ? { skipRange: row.skiprange } : {}),
    });
    if (!seen.has(row.name!)) {
      seen.add(row.name!);
      bundleNames.push(row.name!);
    }
  }
  const channels: FbcChannel[] = [...channelNames].sort(compareBytes).map((c) => {
    const list = entries.get(c)!.sort((a, b) => compareBytes(a.name, b.name));
    if (list.length === 0) throw new RenderError(`package ${name}: channel ${c} has no bundles`);
    return { schema: SCHEMA_CHANNEL, name: c, package: name, entries: list };
  });
  const icon = packageIcon(db, name, defaultChannel);
  bundleNames.sort(compareBytes);
  return {
    package: { schema: SCHEMA_PACKAGE, name, defaultChannel, ...(icon ? { icon } : {}) },
    channels,
    bundles: (function* () {
      for (const bundle of bundleNames) yield renderBundle(db, name, bundle);
    })(),
  };
}

interface StoredBundle {
  objects: string[];
  csv?: Record<string, unknown>;
}

/** The JSON values of a bundle column (opm's BundleStringToAPIBundle): the objects and the CSV. */
function storedBundle(text: string | null, bundleName: string): StoredBundle {
  if (text === null || text === '') return { objects: [] };
  const objects = splitJsonValues(text, `bundle ${bundleName}`);
  for (const o of objects) {
    const value = JSON.parse(o) as Record<string, unknown>;
    if (value !== null && typeof value === 'object' && value.kind === 'ClusterServiceVersion') return { objects, csv: value };
  }
  throw new RenderError(`bundle ${bundleName}: no csv in bundle`);
}

function textOf(v: SqlValue | undefined): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return String(v);
}

function renderBundle(db: Database, pkg: string, name: string): FbcBundle {
  const row = queryRows<{ bundle: SqlValue; bundlepath: SqlValue; version: SqlValue }>(db, 'SELECT bundle, bundlepath, version FROM operatorbundle WHERE name=?', [name])[0]!;
  const stored = storedBundle(textOf(row.bundle), name);
  const image = textOf(row.bundlepath) ?? '';
  if (image === '' && stored.csv === undefined) throw new RenderError(`bundle ${name} of package ${pkg}: bundle image must be set (it has neither an image nor a CSV)`);
  const version = textOf(row.version) ?? '';
  return {
    schema: SCHEMA_BUNDLE,
    name,
    package: pkg,
    image,
    properties: [...bundleProperties(db, pkg, name, version), ...stored.objects.map(objectProperty)],
    relatedImages: relatedImages(db, name, stored.csv),
  };
}

function typedRows(db: Database, table: 'properties' | 'dependencies', name: string): Array<{ type: string; value: string }> {
  const out: Array<{ type: string; value: string }> = [];
  const keys = new Set<string>();
  for (const r of queryRows<{ type: SqlValue; value: SqlValue }>(db, `SELECT type, value FROM ${table} WHERE operatorbundle_name=?`, [name])) {
    const type = textOf(r.type);
    const value = textOf(r.value);
    if (type === null || value === null) continue;
    const key = `${type}/${value}`;
    if (keys.has(key)) continue;
    keys.add(key);
    out.push({ type, value });
  }
  return out;
}

function parseValue(type: string, value: string, bundle: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(value) as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch (err) {
    throw new RenderError(`bundle ${bundle}: ${type} value ${value} is not JSON: ${(err as Error).message}`);
  }
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function gvkText(v: Record<string, unknown>): string {
  return `{"group":${goString(str(v.group))},"kind":${goString(str(v.kind))},"version":${goString(str(v.version))}}`;
}

/** opm's convertAPIBundleToModelProperties, then Normalize, Deduplicate and the sort by (type, value). */
function bundleProperties(db: Database, pkg: string, name: string, version: string): FbcProperty[] {
  const out: Array<{ type: string; text: string }> = [];
  const provided = new Set<string>();
  const required = new Set<string>();
  let hasPackage = false;
  for (const p of typedRows(db, 'properties', name)) {
    if (p.type === 'olm.gvk') provided.add(gvkText(parseValue(p.type, p.value, name)));
    else {
      if (p.type === 'olm.package') hasPackage = true;
      out.push({ type: p.type, text: compact(p.value, p.type, name) });
    }
  }
  for (const d of typedRows(db, 'dependencies', name)) {
    if (d.type === 'olm.gvk') required.add(gvkText(parseValue(d.type, d.value, name)));
    else if (d.type === 'olm.package') {
      const v = parseValue(d.type, d.value, name);
      out.push({ type: 'olm.package.required', text: `{"packageName":${goString(str(v.packageName))},"versionRange":${goString(str(v.version))}}` });
    }
  }
  if (!hasPackage) out.push({ type: 'olm.package', text: `{"packageName":${goString(pkg)},"version":${goString(version)}}` });
  for (const g of provided) out.push({ type: 'olm.gvk', text: g });
  for (const g of required) out.push({ type: 'olm.gvk.required', text: g });
  const unique = new Map<string, { type: string; text: string }>();
  for (const p of out) unique.set(`${p.type}\u0000${p.text}`, p);
  return [...unique.values()]
    .sort((a, b) => compareBytes(a.type, b.type) || compareBytes(a.text, b.text))
    .map((p) => ({ type: p.type, value: new RawJson(p.text) }));
}

function compact(value: string, type: string, bundle: string): string {
  try {
    return compactJson(value);
  } catch (err) {
    throw new RenderError(`bundle ${bundle}: ${type} value ${value} is not JSON: ${(err as Error).message}`);
  }
}

function objectProperty(object: string): FbcProperty {
  return { type: 'olm.bundle.object', value: new RawJson(`{"data":"${Buffer.from(object, 'utf8').toString('base64')}"}`) };
}

/** The CSV's spec.relatedImages, then the related_image rows it does not name, sorted by image as opm sorts them. */
function relatedImages(db: Database, name: string, csv: Record<string, unknown> | undefined): FbcRelatedImage[] {
  const out: FbcRelatedImage[] = [];
  const spec = csv?.spec as { relatedImages?: unknown } | undefined;
  if (Array.isArray(spec?.relatedImages)) {
    for (const r of spec.relatedImages as Array<{ name?: unknown; image?: unknown }>) out.push({ name: str(r?.name), image: str(r?.image) });
  }
  const named = new Set(out.map((r) => r.image));
  for (const image of queryColumn<SqlValue>(db, 'SELECT DISTINCT image FROM related_image WHERE operatorbundle_name=?', [name])) {
    const text = textOf(image);
    if (text === null || named.has(text)) continue;
    named.add(text);
    out.push({ name: '', image: text });
  }
  // opm sorts with Go's sort.Slice by image alone: entries of one image keep Go's (unstable) order.
  return goSortSlice(out, (a, b) => compareBytes(a.image, b.image) < 0);
}

/** The icon of the CSV heading the default channel (opm: populatePackageIcons). */
function packageIcon(db: Database, pkg: string, defaultChannel: string): FbcIcon | undefined {
  const head = queryColumn<string | null>(db, 'SELECT head_operatorbundle_name FROM channel WHERE package_name=? AND name=?', [pkg, defaultChannel])[0];
  if (!head) return undefined;
  const row = queryRows<{ bundle: SqlValue; csv: SqlValue }>(db, 'SELECT bundle, csv FROM operatorbundle WHERE name=?', [head])[0];
  if (row === undefined) return undefined;
  let csv = storedBundle(textOf(row.bundle), head).csv;
  if (csv === undefined) {
    const text = textOf(row.csv);
    if (text) csv = JSON.parse(text) as Record<string, unknown>;
  }
  const icons = (csv?.spec as { icon?: unknown } | undefined)?.icon;
  if (!Array.isArray(icons) || icons.length === 0) return undefined;
  const first = icons[0] as { base64data?: unknown; mediatype?: unknown };
  const bytes = decodeStdBase64(str(first?.base64data)) ?? decodeStdBase64(str(first?.base64data).replaceAll(' ', ''));
  if (bytes === undefined) return undefined;
  return { base64data: bytes.toString('base64'), mediatype: str(first?.mediatype) };
}

/** Go's base64.StdEncoding.DecodeString: padding required, CR and LF ignored, anything else invalid. */
export function decodeStdBase64(text: string): Buffer | undefined {
  const clean = text.replace(/[\r\n]/g, '');
  if (clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(clean)) return undefined;
  return Buffer.from(clean, 'base64');
}
