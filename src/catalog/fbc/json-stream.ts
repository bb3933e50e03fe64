/**
 * A JSON stream: JSON values one after another (what `opm render` writes), split at top-level value
 * boundaries, strings and escapes respected.
 */
export function parseJsonStream(text: string, file: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) {
        values.push(parseOne(text.slice(start, i + 1), file, start));
        start = -1;
      } else if (depth < 0) throw new SyntaxError(`${file}: unbalanced "${c}" at offset ${i}`);
    } else if (depth === 0 && !/\s/.test(c)) {
      throw new SyntaxError(`${file}: unexpected "${c}" at offset ${i} between JSON values`);
    }
  }
  if (depth !== 0 || inString) throw new SyntaxError(`${file}: JSON ends inside a value`);
  return values;
}

function parseOne(text: string, file: string, offset: number): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SyntaxError(`${file}: invalid JSON at offset ${offset}: ${(err as Error).message}`);
  }
}
