/**
 * Which repositories of a namespace to download: the user names them as `repo` (take the listing's
 * `default` release) or `repo:release` (pin that release). No selection means every repository.
 */
import { UsageError } from '../../errors.js';

/** Repository name → pinned release (undefined: the default release). */
export type PackageSelection = ReadonlyMap<string, string | undefined>;

/** Parses the `packages` option; throws UsageError on an empty name or two different pins of one repo. */
export function parseSelection(specs: readonly string[]): PackageSelection {
  const out = new Map<string, string | undefined>();
  for (const raw of specs) {
    const spec = raw.trim();
    const colon = spec.indexOf(':');
    const name = colon < 0 ? spec : spec.slice(0, colon);
    const release = colon < 0 ? undefined : spec.slice(colon + 1);
    if (name === '' || release === '') {
      throw new UsageError(`invalid App Registry package "${raw}": expected REPOSITORY or REPOSITORY:RELEASE`);
    }
    if (out.has(name) && out.get(name) !== release) {
      throw new UsageError(`App Registry package ${name} is named twice with different releases (${out.get(name) ?? 'default'} and ${release ?? 'default'})`);
    }
    out.set(name, release);
  }
  return out;
}
