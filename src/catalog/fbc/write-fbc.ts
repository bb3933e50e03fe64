/**
 * Writes a database as a file-based catalog folder laid out as `opm migrate` lays it out: one
 * folder per package holding `catalog.json` (or `catalog.yaml`), the package's objects in opm's
 * order (olm.package, its olm.channels by name, its olm.bundles by name). Package by package and
 * object by object: no catalog-sized string is ever built.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { dump } from 'js-yaml';
import type { Database } from '../sqlite/database.js';
import { encodeFbcObject, type FbcBundle, type FbcChannel, type FbcPackage } from './declcfg.js';
import { listRenderPackages, renderPackage } from './render-database.js';

export type FbcFormat = 'json' | 'yaml';

export interface FbcWriteResult {
  packages: string[];
  channels: number;
  bundles: number;
  /** Files written, relative to the folder. */
  files: string[];
}

export async function writeFbcFolder(db: Database, dir: string, format: FbcFormat = 'json'): Promise<FbcWriteResult> {
  const result: FbcWriteResult = { packages: [], channels: 0, bundles: 0, files: [] };
  const encode = format === 'json' ? encodeFbcObject : encodeYamlObject;
  for (const name of listRenderPackages(db)) {
    const content = renderPackage(db, name);
    const relative = path.join(name, `catalog.${format}`);
    await mkdir(path.join(dir, name), { recursive: true });
    const out = createWriteStream(path.join(dir, relative), { flags: 'wx' });
    try {
      await write(out, encode(content.package));
      for (const channel of content.channels) await write(out, encode(channel));
      for (const bundle of content.bundles) {
        await write(out, encode(bundle));
        result.bundles++;
      }
      out.end();
      await once(out, 'finish');
    } catch (err) {
      out.destroy();
      throw err;
    }
    result.packages.push(name);
    result.channels += content.channels.length;
    result.files.push(relative);
  }
  return result;
}

async function write(out: WriteStream, text: string): Promise<void> {
  if (!out.write(text)) await Promise.race([once(out, 'drain'), once(out, 'error').then(([e]) => Promise.reject(e as Error))]);
}

/**
 * opm's YAML writer: each object as `---` and the YAML of its JSON, keys sorted. (opm uses go-yaml,
 * whose line folding of long strings js-yaml does not reproduce: same objects, not the same bytes.)
 */
function encodeYamlObject(value: FbcPackage | FbcChannel | FbcBundle): string {
  const plain = JSON.parse(encodeFbcObject(value)) as unknown;
  return `---\n${dump(plain, { sortKeys: true, lineWidth: -1, noRefs: true })}`;
}
