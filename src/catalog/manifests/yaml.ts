/**
 * YAML reading as operator-registry reads it. opm decodes manifests with go-yaml v2 (through
 * sigs.k8s.io/yaml), which is more lenient than the YAML 1.2 spec and than JS parsers' defaults. Published catalogs contain files that only the lenient reading accepts, and losing a CSV
 * silently is the worst outcome, so this module reproduces go-yaml's reading:
 *  - YAML 1.1 scalars (yes/no/on/off booleans, 0777 octal; js-yaml's YAML 1.1 schema), but timestamps
 *    and sexagesimal numbers stay strings (go-yaml v2 keeps timestamp-like values as strings when decoding into interface{});
 *  - duplicate mapping keys are accepted and the last value wins;
 *  - multi-line quoted scalars whose continuation lines are under-indented are accepted (libyaml does);
 *    such files are re-read after re-indenting those continuation lines, which does not change the
 *    value because flow-scalar folding strips leading white space.
 */
import { loadAll, NOT_RESOLVED, Schema, YAML11_SCHEMA, YAMLException, defineScalarTag, timestampTag, type ScalarTagDefinition, type TagDefinition } from 'js-yaml';

export class YamlSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number | undefined,
    readonly column: number | undefined,
  ) {
    super(message);
    this.name = 'YamlSyntaxError';
  }
}

/** go-yaml v2 has no sexagesimal numbers (`1:20` stays a string). */
function withoutSexagesimal(tag: ScalarTagDefinition): ScalarTagDefinition {
  return defineScalarTag(tag.tagName, {
    ...tag,
    resolve: (source, isExplicit, tagName) => (!isExplicit && source.includes(':') ? NOT_RESOLVED : tag.resolve(source, isExplicit, tagName)),
  });
}

const GO_YAML_SCHEMA = new Schema(
  YAML11_SCHEMA.tags
    .filter((t) => t !== timestampTag)
    .map((t: TagDefinition) =>
      t.nodeKind === 'scalar' && (t.tagName === 'tag:yaml.org,2002:int' || t.tagName === 'tag:yaml.org,2002:float') ? withoutSexagesimal(t) : t,
    ),
);

/** Parses a YAML stream into plain JS values, one per non-empty document. Throws YamlSyntaxError. */
export function parseYamlStream(text: string): unknown[] {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return strictRead(source);
  } catch (first) {
    if (!(first instanceof YamlSyntaxError)) throw first;
    const repaired = reindentQuotedContinuations(source);
    if (repaired === source) throw first;
    try {
      return strictRead(repaired);
    } catch {
      throw first; // report the error in the user's own text, not in our repair
    }
  }
}

function strictRead(text: string): unknown[] {
  try {
    return loadAll(text, { schema: GO_YAML_SCHEMA, json: true, maxAliases: 10000 }).filter((d) => d !== null && d !== undefined);
  } catch (err) {
    if (err instanceof YAMLException) {
      const mark = err.mark as { line?: number; column?: number } | undefined;
      throw new YamlSyntaxError(err.reason, mark?.line === undefined ? undefined : mark.line + 1, mark?.column === undefined ? undefined : mark.column + 1);
    }
    throw err;
  }
}

/**
 * Raises the indentation of continuation lines of multi-line quoted scalars to one column past the
 * key that opened them. Lines that are not inside a quoted scalar are left byte for byte.
 */
export function reindentQuotedContinuations(text: string): string {
  const lines = text.split('\n');
  let open: { quote: '"' | "'"; minIndent: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (open) {
      const indent = line.length - line.trimStart().length;
      const blank = line.trim().length === 0;
      let current = line;
      if (!blank && indent < open.minIndent) {
        current = ' '.repeat(open.minIndent) + line.trimStart();
        lines[i] = current;
      }
      const end = scanQuoted(current, current.length - current.trimStart().length, open.quote);
      if (end >= 0) open = undefined;
      continue;
    }
    open = openingQuote(line);
  }
  return lines.join('\n');
}

/** If this line opens a quoted scalar that it does not close, the quote and the indent it needs. */
function openingQuote(line: string): { quote: '"' | "'"; minIndent: number } | undefined {
  let pos = line.length - line.trimStart().length;
  if (line[pos] === '#') return undefined;
  while (line[pos] === '-' && (line[pos + 1] === ' ' || line[pos + 1] === undefined)) {
    pos += 1;
    while (line[pos] === ' ') pos++;
  }
  const keyColumn = pos;
  for (let round = 0; round < 2; round++) {
    const c = line[pos];
    if (c === '"' || c === "'") {
      const end = scanQuoted(line, pos + 1, c);
      if (end < 0) return { quote: c, minIndent: keyColumn + 1 };
      pos = end + 1;
      while (line[pos] === ' ') pos++;
      if (line[pos] !== ':') return undefined;
      pos++;
    } else if (round === 0) {
      const colon = line.indexOf(': ', pos);
      if (colon < 0) return undefined;
      pos = colon + 1;
    } else {
      return undefined;
    }
    while (line[pos] === ' ') pos++;
  }
  return undefined;
}

/** Index of the closing quote at or after `from`, or -1 when the line ends inside the scalar. */
function scanQuoted(line: string, from: number, quote: '"' | "'"): number {
  for (let i = from; i < line.length; i++) {
    const c = line[i];
    if (quote === '"' && c === '\\') {
      i++;
      continue;
    }
    if (c === quote) {
      if (quote === "'" && line[i + 1] === "'") {
        i++;
        continue;
      }
      return i;
    }
  }
  return -1;
}
