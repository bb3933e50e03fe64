/** Benchmark settings read from the environment (FERRY_BENCH_RUNS and the like). */

/** The integer in $name, or `fallback` when unset or empty; throws when it is not an integer from min to max. */
export function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}
