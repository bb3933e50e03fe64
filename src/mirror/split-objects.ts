/**
 * YAML rendering of cluster objects, and splitting of long entry lists over several objects so each
 * object's YAML stays under 250,000 bytes: `kubectl apply` stores the object in the
 * last-applied-configuration annotation, and annotations are limited to 262,144 bytes.
 *
 * Rendering is deterministic: js-yaml `dump` with no line folding (lineWidth -1), no anchors (noRefs),
 * sequences not indented under their key (kubectl / go-yaml style), double quotes where quoting is
 * needed, and keys in the order the objects are built.
 */
import { dump } from 'js-yaml';
import { FerryError } from '../errors.js';

/** Each object's YAML is strictly smaller than this many bytes. */
export const MAX_OBJECT_BYTES = 250_000;

/** One object as a YAML document (no `---`). */
export function toYaml(value: unknown): string {
  return dump(value, { lineWidth: -1, noRefs: true, seqNoIndent: true, quoteStyle: 'double' });
}

/** Several objects as one YAML stream, documents separated by `---`. */
export function yamlStream(objects: readonly unknown[]): string {
  return objects.map(toYaml).join('---\n');
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Spreads `entries` (kept in order) over objects named `<baseName>-0`, `-1`, …, each built by `build`
 * and each under `maxBytes` of YAML. `build` should put the entries as they are into a list at
 * `spec.<list>`: sizes are estimated per entry as its YAML as an item of a list two spaces in, which is
 * then exact. Every object is measured exactly anyway, moving trailing entries on when the estimate
 * was short. No entries, no objects.
 */
export function splitObjects<E, O>(entries: readonly E[], baseName: string, build: (name: string, entries: E[]) => O, maxBytes = MAX_OBJECT_BYTES): O[] {
  const sizes = entries.map((e) => {
    const text = toYaml([e]);
    return byteLength(text) + 2 * (text.match(/\n/g)?.length ?? 0);
  });
  const objects: O[] = [];
  let start = 0;
  while (start < entries.length) {
    const name = `${baseName}-${objects.length}`;
    let end = start + 1;
    let total = byteLength(toYaml(build(name, [entries[start]!])));
    while (end < entries.length && total + sizes[end]! < maxBytes) total += sizes[end++]!;
    let object = build(name, entries.slice(start, end));
    let bytes = byteLength(toYaml(object));
    while (bytes >= maxBytes && end - start > 1) {
      // the estimate was short (build changed the entries): drop enough trailing entries to cover the excess
      let excess = bytes - maxBytes + 1;
      while (excess > 0 && end - start > 1) excess -= sizes[--end]!;
      object = build(name, entries.slice(start, end));
      bytes = byteLength(toYaml(object));
    }
    if (bytes >= maxBytes) throw new FerryError('OBJECT_TOO_LARGE', `${name}: a single entry makes the object ${bytes} bytes of YAML, over the limit of ${maxBytes}`);
    objects.push(object);
    start = end;
  }
  return objects;
}
