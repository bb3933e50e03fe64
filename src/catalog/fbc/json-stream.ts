/**
 * A JSON stream: JSON values one after another (what `opm render` writes), split at top-level value
 * boundaries (json-values.ts) and parsed.
 */
import { splitJsonValues } from './json-values.js';

export function parseJsonStream(text: string, file: string): unknown[] {
  return splitJsonValues(text, file).map((value) => JSON.parse(value) as unknown);
}
