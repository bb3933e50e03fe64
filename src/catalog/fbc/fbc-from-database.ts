/** A database file (any schema ferry reads) written as a file-based catalog folder. */
import { openDatabase } from '../sqlite/database.js';
import { writeFbcFolder, type FbcFormat, type FbcWriteResult } from './write-fbc.js';

export async function writeFbcFromDatabase(database: string, dir: string, format: FbcFormat = 'json'): Promise<FbcWriteResult> {
  const { db } = await openDatabase(database);
  try {
    return await writeFbcFolder(db, dir, format);
  } finally {
    db.close();
  }
}
