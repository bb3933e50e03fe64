/**
 * The `--volume-size` of a sneakernet archive: how many bytes one volume (one file on one medium) may
 * hold. Accepted, case-insensitive, surrounding white space ignored:
 *
 * - plain bytes: digits, optionally grouped with `_` (`4700000000`, `4_700_000_000`); an optional
 *   `B` suffix (`512000000B`); no fraction (there is no part of a byte);
 * - binary units, powers of 1024: `KiB`, `MiB`, `GiB`, `TiB`;
 * - decimal units, powers of 1000: `KB`, `MB`, `GB`, `TB`;
 *   a number with a unit may have a fraction (`1.5GiB`, `4.7 GB`) and one optional space before the
 *   unit; the result is rounded down to whole bytes (computed exactly, not in floating point);
 * - presets for common media:
 *   - `fat32`  = 4,294,967,295 bytes (4 GiB - 1, the largest file FAT32 can store),
 *   - `dvd`    = 4,700,000,000 bytes (single-layer DVD±R),
 *   - `dvd-dl` = 8,500,000,000 bytes (dual-layer DVD±R),
 *   - `bd`     = 25,025,314,816 bytes (single-layer BD-R).
 *
 * Not accepted: bare `K`/`M`/`G`/`T` (ambiguous between 1000 and 1024: write `4GiB` or `4GB`), `,`
 * or `.` as thousands separators, negative numbers, exponents.
 *
 * A volume must be at least {@link MIN_VOLUME_SIZE} (1 MiB): the first volume carries the archive's
 * metadata (checksums file, signature, manifest; each padded to 512-byte tar blocks) besides the
 * data, and a smaller size would cut a catalog into thousands of volumes. A value that small is
 * almost always a missing unit (`4700` meant as MB), so it is refused rather than obeyed. The largest
 * accepted size is Number.MAX_SAFE_INTEGER bytes (8 PiB - 1), the largest exact byte count.
 */
import { UsageError } from '../errors.js';

/** The smallest volume ferry writes: 1 MiB. */
export const MIN_VOLUME_SIZE = 1024 * 1024;

/** Named sizes of common media, in bytes. */
export const VOLUME_SIZE_PRESETS: Readonly<Record<string, number>> = Object.freeze({
  fat32: 4_294_967_295,
  dvd: 4_700_000_000,
  'dvd-dl': 8_500_000_000,
  bd: 25_025_314_816,
});

const UNITS: Readonly<Record<string, bigint>> = {
  b: 1n,
  kib: 1024n,
  mib: 1024n ** 2n,
  gib: 1024n ** 3n,
  tib: 1024n ** 4n,
  kb: 1000n,
  mb: 1000n ** 2n,
  gb: 1000n ** 3n,
  tb: 1000n ** 4n,
};

const ACCEPTED_FORMS = [
  'plain bytes: 4700000000 or 4_700_000_000',
  'binary units (powers of 1024): 512MiB, 1.5 GiB, 2TiB (also KiB)',
  'decimal units (powers of 1000): 700MB, 4.7GB, 1TB (also KB)',
  `presets: ${Object.entries(VOLUME_SIZE_PRESETS).map(([name, bytes]) => `${name} (${groupDigits(bytes)} bytes)`).join(', ')}`,
];

const SIZE_RE = /^(\d+(?:_\d+)*)(?:\.(\d+))?(?: ?([a-z]+))?$/;

/** Parses a `--volume-size` value into bytes; throws UsageError (exit 2) naming the value and the accepted forms. */
export function parseVolumeSize(input: string): number {
  const text = input.trim().toLowerCase();
  const preset = Object.prototype.hasOwnProperty.call(VOLUME_SIZE_PRESETS, text) ? VOLUME_SIZE_PRESETS[text] : undefined;
  if (preset !== undefined) return preset;

  const m = SIZE_RE.exec(text);
  if (m === null) throw invalid(input, 'expected a number of bytes, a number with a unit, or a preset');
  const [, whole, fraction, unitName] = m as unknown as [string, string, string | undefined, string | undefined];
  let unit = 1n;
  if (unitName !== undefined) {
    const u = UNITS[unitName];
    if (u === undefined) {
      const bare = /^[kmgt]$/.test(unitName);
      throw invalid(input, bare ? `"${unitName.toUpperCase()}" is ambiguous: write ${unitName.toUpperCase()}iB (powers of 1024) or ${unitName.toUpperCase()}B (powers of 1000)` : `unknown unit "${unitName}"`);
    }
    unit = u;
  }
  if (fraction !== undefined && unit === 1n) throw invalid(input, 'a byte count cannot have a fraction; use a unit (e.g. 1.5GiB) or whole bytes');

  // Exact arithmetic: (whole.fraction × unit), rounded down.
  const digits = fraction ?? '';
  const scaled = BigInt(whole.replaceAll('_', '') + digits) * unit;
  const bytes = scaled / 10n ** BigInt(digits.length);

  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(input, `larger than the largest supported size, ${groupDigits(Number.MAX_SAFE_INTEGER)} bytes`);
  const n = Number(bytes);
  if (n < MIN_VOLUME_SIZE) {
    throw invalid(input, `${groupDigits(n)} bytes is below the minimum of ${formatVolumeSize(MIN_VOLUME_SIZE)}, which a volume needs to hold the archive's metadata (did you leave out a unit, e.g. 4700MB?)`);
  }
  return n;
}

/**
 * A volume size for messages: `4.4 GiB (4,700,000,000 bytes, dvd)`. The binary-unit figure is
 * rounded to one decimal (whole when exact: `1 MiB`); the exact byte count and a matching preset's
 * name follow in parentheses.
 */
export function formatVolumeSize(bytes: number): string {
  const preset = Object.entries(VOLUME_SIZE_PRESETS).find(([, b]) => b === bytes)?.[0];
  const exact = `${groupDigits(bytes)} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit < 0) return preset ? `${exact} (${preset})` : exact;
  const figure = Number.isInteger(value) ? `${value} ${units[unit]}` : `${value.toFixed(1)} ${units[unit]}`;
  return `${figure} (${exact}${preset ? `, ${preset}` : ''})`;
}

/** `4700000000` → `4,700,000,000`. */
function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function invalid(input: string, reason: string): UsageError {
  return new UsageError(`invalid --volume-size "${input}": ${reason}`, ACCEPTED_FORMS.map((f) => `--volume-size accepts ${f}`));
}
