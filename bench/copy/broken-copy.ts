/**
 * A copy that came out wrong, as opposed to a command that failed: the benchmark reports the two
 * differently (BROKEN COPY / FAILED), and either voids its case.
 */

export class BrokenCopy extends Error {}

/** Throws BrokenCopy(`what`) unless `ok`. */
export function expect(ok: boolean, what: string): void {
  if (!ok) throw new BrokenCopy(what);
}
