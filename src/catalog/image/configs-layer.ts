/** The one layer a file-based catalog image adds: the catalog folder at `configs/`, files in name order. */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { TarMemberSpec } from '../../oci/archive/tar-writer.js';
import { compareBytes } from '../../util/compare-bytes.js';
import { CONFIGS_PATH } from './catalog-labels.js';
import { parentDirs, writeLayerFile, type LayerFile } from './layer-file.js';

/** `files`: paths relative to `configsDir` (as the folder writer reports them). */
export async function writeConfigsLayer(configsDir: string, files: readonly string[], target: string): Promise<LayerFile> {
  const root = CONFIGS_PATH.replace(/^\//, '');
  const members: TarMemberSpec[] = [...parentDirs(`${root}/x`)];
  const dirs = new Set<string>();
  for (const file of [...files].map((f) => f.split(path.sep).join('/')).sort(compareBytes)) {
    const parts = file.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const dir = `${root}/${parts.slice(0, i).join('/')}/`;
      if (!dirs.has(dir)) {
        dirs.add(dir);
        members.push({ type: 'dir', name: dir });
      }
    }
    const full = path.join(configsDir, file);
    members.push({ type: 'file', name: `${root}/${file}`, path: full, size: (await stat(full)).size });
  }
  return writeLayerFile(members, target);
}
