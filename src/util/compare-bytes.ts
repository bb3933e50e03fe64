/** Byte-wise (UTF-8 order) string comparison, as Go's sort.Strings orders strings. */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
