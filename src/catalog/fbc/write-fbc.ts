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
 * opm's YAML writer: each object as `---` and the YAML of its JSON (sigs.k8s.io/yaml over go-yaml
 * v2): keys sorted, sequences not indented under their key, quoted strings in single quotes but the
 * empty string as "". Measured equal to opm's bytes on the corpus; go-yaml's folding of very long
 * strings with spaces is not reproduced (docs/catalog-database.md).
 */
function encodeYamlObject(value: FbcPackage | FbcChannel | FbcBundle): string {
  const plain = JSON.parse(encodeFbcObject(value)) as unknown;
  const text = dump(plain, { sortKeys: true, lineWidth: -1, noRefs: true, seqNoIndent: true, quoteStyle: 'single' });
  return `---\n${text.replace(/^((?: *- )*(?: *[A-Za-z0-9_.-]+: )?)'([^']*)'$/gm, (line, lead: string, body: string) => (RESOLVES_NON_STRING.test(body) ? `${lead}"${body}"` : line))}`;
}

/** Strings go-yaml v2 would read back as something else (YAML 1.1 null, bool, number): it double-quotes them. */
const RESOLVES_NON_STRING = /^(?:|~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|[-+]?(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][-+]?\d+)?|[-+]?0x[0-9a-fA-F_]+|[-+]?0b[01_]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
