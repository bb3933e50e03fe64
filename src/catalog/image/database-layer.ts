/** The one layer a catalog image adds: the database at `inside` (default `database/index.db`). */
import { stat } from 'node:fs/promises';
import { DATABASE_PATH } from './catalog-labels.js';
import { parentDirs, writeLayerFile, type LayerFile } from './layer-file.js';

export type DatabaseLayer = LayerFile;

export async function writeDatabaseLayer(database: string, target: string, inside = DATABASE_PATH.replace(/^\//, '')): Promise<DatabaseLayer> {
  const size = (await stat(database)).size;
  return writeLayerFile([...parentDirs(inside), { type: 'file', name: inside, path: database, size }], target);
}
