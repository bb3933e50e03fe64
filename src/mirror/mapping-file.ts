/**
 * The mapping file `oc image mirror -f` reads, which `registry images --to` writes: one
 * `SOURCE=DESTINATION` per line (several may share a line, separated by white space); blank lines
 * and lines starting with `#` are ignored.
 */
import { readFile } from 'node:fs/promises';
import { InvalidInputError, type Problem } from '../errors.js';

export interface Mapping {
  source: string;
  destination: string;
  /** 1-based line in the file. */
  line: number;
}

export function parseMappings(text: string, file: string): Mapping[] {
  const mappings: Mapping[] = [];
  const problems: Problem[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    for (const token of line.split(/\s+/)) {
      const eq = token.indexOf('=');
      if (eq <= 0 || eq === token.length - 1 || token.indexOf('=', eq + 1) >= 0) {
        problems.push({ file: `${file}:${i + 1}`, message: `expected SOURCE=DESTINATION, got "${token}"` });
        continue;
      }
      mappings.push({ source: token.slice(0, eq), destination: token.slice(eq + 1), line: i + 1 });
    }
  });
  if (problems.length > 0) throw new InvalidInputError(problems);
  return mappings;
}

export async function readMappingFile(file: string): Promise<Mapping[]> {
  return parseMappings(await readFile(file, 'utf8'), file);
}
