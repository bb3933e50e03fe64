/**
 * JSON encoded byte for byte as Go's encoding/json encodes a decoded YAML/JSON value
 * (map[string]interface{}): object keys sorted in byte order, no white space, and the characters
 * `<`, `>`, `&`, U+2028 and U+2029 escaped as \u003c, \u003e, \u0026, \u2028, \u2029. operator-registry
 * stores CSVs and bundle objects this way, and consumers compare those strings.
 */
import { compareBytes } from './compare-bytes.js';

export function goJson(value: unknown): string {
  return escapeLikeGo(encode(value));
}

function encode(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map((v) => encode(v)).join(',')}]`;
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'object': {
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort(compareBytes);
      return `{${keys.map((k) => `${JSON.stringify(k)}:${encode(record[k])}`).join(',')}}`;
    }
    default:
      return 'null';
  }
}

const GO_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

function escapeLikeGo(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c]!);
}
