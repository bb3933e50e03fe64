/**
 * The `Range` header of a blob GET (RFC 9110 §14): one range of bytes, `bytes=A-B`, `bytes=A-` or
 * `bytes=-N` (the last N bytes). An end past the blob is cut to its last byte. Other units are
 * ignored (the whole blob is served); a bytes range that is malformed, asks for several ranges, or
 * lies outside the blob is refused (416 with `Content-Range: bytes *\/SIZE`).
 */
export type ByteRange = { kind: 'whole' } | { kind: 'range'; start: number; end: number } | { kind: 'unsatisfiable' };

export function parseByteRange(header: string | undefined, size: number): ByteRange {
  if (header === undefined) return { kind: 'whole' };
  const value = header.trim();
  const unit = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)=/.exec(value);
  if (unit === null || unit[1]!.toLowerCase() !== 'bytes') return unit === null ? { kind: 'unsatisfiable' } : { kind: 'whole' };
  const spec = /^(\d*)-(\d*)$/.exec(value.slice(unit[0].length).trim());
  if (spec === null) return { kind: 'unsatisfiable' };
  const [, first, last] = spec as unknown as [string, string, string];
  if (first === '') {
    if (last === '') return { kind: 'unsatisfiable' };
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (!Number.isSafeInteger(start) || start >= size || (last !== '' && Number(last) < start)) return { kind: 'unsatisfiable' };
  return { kind: 'range', start, end };
}
