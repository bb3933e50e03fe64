/**
 * Bundle versions as operator-registry orders them: semver, where two versions that differ only in
 * build metadata compare by that metadata like a prerelease (none sorts before some). A missing version
 * counts as `0.0.0-z`, as opm treats it.
 */
import semver from 'semver';

/**
 * The version as Go's blang/semver (opm's parser) reads it, or undefined. node-semver alone is more
 * lenient: it takes a leading `v` or `=` and surrounding blanks, which opm refuses.
 */
export function parseBundleVersion(version: string): semver.SemVer | undefined {
  if (version === '') return semver.parse('0.0.0-z') ?? undefined;
  if (!/^[0-9]/.test(version) || /\s/.test(version)) return undefined;
  return semver.parse(version, { loose: false }) ?? undefined;
}

export function compareBundleVersions(a: semver.SemVer, b: semver.SemVer): number {
  const c = semver.compare(a, b);
  if (c !== 0) return c;
  const ba = a.build;
  const bb = b.build;
  if (ba.length === 0 || bb.length === 0) return ba.length === bb.length ? 0 : ba.length === 0 ? -1 : 1;
  for (let i = 0; i < Math.max(ba.length, bb.length); i++) {
    if (ba[i] === undefined) return -1;
    if (bb[i] === undefined) return 1;
    const d = semver.compareIdentifiers(ba[i], bb[i]);
    if (d !== 0) return d;
  }
  return 0;
}
