/**
 * Everything the conformance suite compares about one database, taken with real opm and sqlite3:
 * the tables (sqlite3 -json), `opm render` of the database and the regquery dump of
 * `opm registry serve` on it; and the comparison of two such views with the allowed differences.
 */
import {
  compareRegquery,
  compareRender,
  compareTables,
  dumpDatabase,
  normalizeRegquery,
  normalizeRender,
  replaceInStrings,
  type Difference,
  type Json,
  type TableDump,
} from '../helpers/catalog-dump.js';
import { opmRender, serveAndQuery } from './opm.js';

export interface CatalogView {
  tables: TableDump;
  render: Record<string, Json>;
  regquery: Json;
}

/** The three views of DATABASE; with `host`, that registry host:port is replaced by `placeholder`. */
export async function viewDatabase(database: string, host?: { from: string; to: string }): Promise<CatalogView> {
  const [tables, rendered, served] = await Promise.all([dumpDatabase(database), opmRender(database), serveAndQuery({ database })]);
  const view: CatalogView = { tables, render: normalizeRender(rendered as Json[]), regquery: normalizeRegquery(served as Json) };
  return host ? (replaceInStrings(view as unknown as Json, host.from, host.to) as unknown as CatalogView) : view;
}

/** Every difference between opm's view and ferry's (allowed ones marked). */
export function compareViews(opm: CatalogView, ferry: CatalogView): Difference[] {
  return [...compareTables(opm.tables, ferry.tables), ...compareRender(opm.render, ferry.render), ...compareRegquery(opm.regquery, ferry.regquery)];
}
