/**
 * JSON text as Go's encoding/json writes it for operator-registry's file-based catalogs: values are
 * marshalled compact (a json.RawMessage keeps its tokens, key order and number spelling, only its
 * white space removed) and the Encoder's SetIndent("", "    ") then lays the text out: one member or
 * element per line, `": "` after a key, `{}` and `[]` kept on one line. HTML characters are not
 * escaped (SetEscapeHTML(false)); U+2028 and U+2029 are, as Go always does.
 */

/** A JSON value whose text is written as it is (white space aside): Go's json.RawMessage. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** A Go-encoded string: JSON escapes, plus \u2028 and \u2029 (Go escapes them even without HTML escaping). */
export function goString(value: string): string {
  return JSON.stringify(value).replace(/[\u2028\u2029]/g, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'));
}

/** The text of a JSON value with the white space between tokens removed; throws on invalid JSON. */
export function compactJson(text: string): string {
  JSON.parse(text); // validates, as Go's compact does
  let out = '';
  let start = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
      out += text.slice(start, i);
      start = i + 1;
    }
  }
  return out + text.slice(start);
}

/** Compact JSON laid out as Go's json.Indent(dst, src, "", indent) does. */
export function goIndent(compact: string, indent = '    '): string {
  let out = '';
  let depth = 0;
  let needIndent = false;
  const newline = (): string => `\n${indent.repeat(depth)}`;
  for (let i = 0; i < compact.length; i++) {
    const c = compact[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < compact.length && compact[j] !== '"') j += compact[j] === '\\' ? 2 : 1;
      if (needIndent) {
        out += newline();
        needIndent = false;
      }
      out += compact.slice(i, j + 1);
      i = j;
      continue;
    }
    if (needIndent && c !== ']' && c !== '}') {
      out += newline();
      needIndent = false;
    }
    switch (c) {
      case '{':
      case '[':
        out += c;
        depth++;
        needIndent = true;
        break;
      case '}':
      case ']':
        depth--;
        if (needIndent) needIndent = false; // empty: stays `{}` / `[]`
        else out += newline();
        out += c;
        break;
      case ',':
        out += `,${newline()}`;
        break;
      case ':':
        out += ': ';
        break;
      default: {
        // A number, true, false or null: copied up to the next structural character.
        let j = i;
        while (j < compact.length && !'{}[],:"'.includes(compact[j]!)) j++;
        out += compact.slice(i, j);
        i = j - 1;
      }
    }
  }
  return out;
}

/**
 * Compact JSON of a value as Go marshals a struct: keys in the order given (the struct's field
 * order), undefined members left out (omitempty is the caller's choice), RawJson written compacted.
 */
export function goCompact(value: unknown): string {
  if (value instanceof RawJson) return compactJson(value.text);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(goCompact).join(',')}]`;
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of Object.keys(record)) if (record[key] !== undefined) members.push(`${goString(key)}:${goCompact(record[key])}`);
  return `{${members.join(',')}}`;
}

/** One value as Go's indented Encoder writes it, with its trailing newline. */
export function goEncodeIndented(value: unknown): string {
  return `${goIndent(goCompact(value))}\n`;
}
