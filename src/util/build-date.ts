/**
 * The date stamped into what ferry builds (database migration row, image config): SOURCE_DATE_EPOCH
 * when set (the reproducible-builds convention), else a date fixed by the input (e.g. the base
 * image's), else the Unix epoch. Never the clock: the same input must give the same bytes.
 */
export function buildDate(fixed?: string): Date {
  const epoch = sourceDateEpoch();
  if (epoch !== undefined) return epoch;
  if (fixed !== undefined && !Number.isNaN(Date.parse(fixed))) return new Date(fixed);
  return new Date(0);
}

/** SOURCE_DATE_EPOCH as a date, when it is set to whole seconds. */
export function sourceDateEpoch(): Date | undefined {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  return epoch !== undefined && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : undefined;
}
