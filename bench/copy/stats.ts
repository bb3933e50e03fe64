/** Small figures helpers shared by the benchmarks' reports. */

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** The largest value, ignoring nulls; null when there is none. */
export const maxOf = (xs: Array<number | null>): number | null => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length === 0 ? null : Math.max(...v);
};

export const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

/** round(x), or null when x is NaN or infinite (JSON has no NaN). */
export const orNull = (x: number, digits = 2): number | null => (Number.isFinite(x) ? round(x, digits) : null);

export const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
