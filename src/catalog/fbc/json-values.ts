/**
 * The texts of the JSON values that follow one another in a string (operator-registry's `bundle`
 * column: the bundle's objects, one after another; a file-based catalog's .json files), each exactly
 * as written, the white space between them dropped, as Go's json.Decoder into json.RawMessage gives them.
 */
import { ExitCode, FerryError } from '../../errors.js';

export function splitJsonValues(text: string, what: string): string[] {
  const values: string[] = [];
  let i = 0;
  const n = text.length;
  const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  while (i < n) {
    while (i < n && isSpace(text[i]!)) i++;
    if (i >= n) break;
    const start = i;
    const c = text[i]!;
    if (c === '{' || c === '[') {
      let depth = 0;
      let inString = false;
      for (; i < n; i++) {
        const d = text[i]!;
        if (inString) {
          if (d === '\\') i++;
          else if (d === '"') inString = false;
        } else if (d === '"') inString = true;
        else if (d === '{' || d === '[') depth++;
        else if (d === '}' || d === ']') {
          depth--;
          if (depth === 0) {
            i++;
            break;
          }
        }
      }
      if (depth !== 0) throw invalid(what, start);
    } else if (c === '"') {
      for (i++; i < n && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (i >= n) throw invalid(what, start);
      i++;
    } else {
      while (i < n && !isSpace(text[i]!) && !'{["'.includes(text[i]!)) i++;
    }
    const value = text.slice(start, i);
    try {
      JSON.parse(value);
    } catch {
      throw invalid(what, start);
    }
    values.push(value);
  }
  return values;
}

function invalid(what: string, offset: number): FerryError {
  return new FerryError('INVALID_CATALOG', `${what}: not valid JSON (at offset ${offset})`, ExitCode.invalidInput);
}
