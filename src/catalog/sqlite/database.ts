/**
 * Opening, creating and saving operator-registry databases with sql.js (sqlite compiled to wasm, so no
 * native build). The whole database lives in memory; files are only read once and written once,
 * atomically, so a user's file is never changed in place and a failure leaves it as it was.
 */
import { readFile } from 'node:fs/promises';
import initSqlJs, { type Database, type SqlJsStatic, type SqlValue } from 'sql.js';
import { DatabaseError, NotFoundError } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { buildDate } from '../../util/build-date.js';
import { migrateToLatest } from './migrations.js';
import { SCHEMA_13, SCHEMA_VERSION } from './schema.js';

export type { Database, SqlValue };

let engine: Promise<SqlJsStatic> | undefined;

function sqlite(): Promise<SqlJsStatic> {
  engine ??= initSqlJs();
  return engine;
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** UTC `YYYY-MM-DD HH:MM:SS`, as sqlite's CURRENT_TIMESTAMP and opm write it. */
export function utcTimestamp(date = new Date()): string {
  return date.toISOString().replace('T', ' ').slice(0, 19);
}

/** A new, empty schema-13 database with foreign keys on. */
export async function createDatabase(): Promise<Database> {
  const SQL = await sqlite();
  const db = new SQL.Database();
  db.exec('PRAGMA foreign_keys = ON');
  db.exec('BEGIN');
  for (const statement of SCHEMA_13) db.exec(statement);
  // A fixed date, not the clock, so the same manifests give the same database bytes (and image digest).
  db.run('INSERT INTO schema_migrations(version, timestamp) VALUES (?, ?)', [SCHEMA_VERSION, utcTimestamp(buildDate())]);
  db.exec('COMMIT');
  return db;
}

/** Schema version of a database: the one row of schema_migrations, or -1 when there is none. */
export function schemaVersion(db: Database): number {
  const table = db.exec("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migrations'");
  if (table.length === 0) return -1;
  const rows = db.exec('SELECT version FROM schema_migrations LIMIT 1');
  const v = rows[0]?.values[0]?.[0];
  return typeof v === 'number' ? v : -1;
}

export interface OpenedDatabase {
  db: Database;
  /** The version the file had before it was migrated (in memory) to the current schema. */
  originalVersion: number;
}

/**
 * Opens an operator-registry database file of schema version 5 or later and migrates its in-memory
 * copy to schema 13. The file itself is never written.
 */
export async function openDatabase(file: string): Promise<OpenedDatabase> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`database ${file} does not exist`);
    throw err;
  }
  if (bytes.length < SQLITE_MAGIC.length || !bytes.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) {
    throw new DatabaseError(`${file} is not a sqlite database`);
  }
  const SQL = await sqlite();
  const db = new SQL.Database(bytes);
  try {
    db.exec('PRAGMA foreign_keys = ON');
    const originalVersion = schemaVersion(db);
    migrateToLatest(db, file, originalVersion);
    return { db, originalVersion };
  } catch (err) {
    db.close();
    if (err instanceof DatabaseError) throw err;
    throw new DatabaseError(`cannot read database ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Writes the database to `file` atomically (temp file beside it, renamed when complete). */
export async function saveDatabase(db: Database, file: string): Promise<void> {
  await writeFileAtomic(file, db.export());
}

/** Rows of a query as objects. */
export function queryRows<T extends Record<string, SqlValue>>(db: Database, sql: string, params: SqlValue[] = []): T[] {
  const statement = db.prepare(sql);
  try {
    statement.bind(params);
    const rows: T[] = [];
    while (statement.step()) rows.push(statement.getAsObject() as T);
    return rows;
  } finally {
    statement.free();
  }
}

/** The first column of every row. */
export function queryColumn<T extends SqlValue>(db: Database, sql: string, params: SqlValue[] = []): T[] {
  const statement = db.prepare(sql);
  try {
    statement.bind(params);
    const out: T[] = [];
    while (statement.step()) out.push(statement.get()[0] as T);
    return out;
  } finally {
    statement.free();
  }
}
