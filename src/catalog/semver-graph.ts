/**
 * opm's semver and semver-skippatch channel graphs. opm inserts the bundles of a channel one at a
 * time (BundleGraphLoader.AddBundleToGraph): each new bundle replaces the highest version below it, and
 * in skip-patch mode it also takes over every lower bundle of the same major.minor, which leaves the
 * graph (their own replaces move to the new bundle). The graph is then written as channel entries
 * (AddPackageChannelsFromGraph): the head at depth 0, then down the chain of bundles still in the
 * graph; a bundle taken over becomes a synthetic entry one level below the one that replaced it.
 *
 * opm inserts in whatever order its map of images yields; ferry inserts lowest version first, so the
 * same bundles always give the same channel. For plain semver mode every order gives the same chain.
 */
import type semver from 'semver';
import type { Channel, ChannelEntry } from './model.js';
import { compareBundleVersions } from './version.js';

/** What the channel graph needs of a bundle. */
export interface VersionedNode {
  readonly name: string;
}

export function semverChannel(name: string, members: readonly VersionedNode[], versions: ReadonlyMap<string, semver.SemVer>, skipPatch: boolean): Channel {
  const version = (n: string): semver.SemVer => versions.get(n)!;
  const ascending = [...members].map((m) => m.name).sort((a, b) => compareBundleVersions(version(a), version(b)));
  /** Bundle still in the graph → the bundles it replaces (in the graph or taken over). */
  const graph = new Map<string, Set<string>>();
  let head = '';
  for (const added of ascending) {
    const replaces = new Set<string>();
    if (head !== '') replaces.add(head);
    if (skipPatch) {
      for (const [node, nodeReplaces] of [...graph]) {
        if (!isSkipPatchCandidate(version(added), version(node))) continue;
        replaces.add(node);
        for (const r of nodeReplaces) replaces.add(r);
        graph.delete(node);
      }
    }
    graph.set(added, replaces);
    head = added;
  }
  return { name, head, entries: channelEntries(head, graph, version) };
}

/** Same major and minor, and strictly greater: `version` can skip over `other`. */
function isSkipPatchCandidate(version: semver.SemVer, other: semver.SemVer): boolean {
  return version.major === other.major && version.minor === other.minor && compareBundleVersions(version, other) > 0;
}

function channelEntries(head: string, graph: ReadonlyMap<string, ReadonlySet<string>>, version: (n: string) => semver.SemVer): ChannelEntry[] {
  const entries: { bundle: string; depth: number; replaces?: number }[] = [];
  const add = (bundle: string, depth: number): number => entries.push({ bundle, depth }) - 1;
  let current = head;
  let depth = 0;
  let previous: number | undefined;
  for (;;) {
    const id = add(current, depth);
    if (previous !== undefined) entries[previous]!.replaces = id;
    const replaced = [...graph.get(current)!].sort((a, b) => compareBundleVersions(version(b), version(a)));
    const next = replaced.find((r) => graph.has(r));
    let syntheticDepth = depth + 1;
    for (const synthetic of replaced.filter((r) => !graph.has(r))) {
      const skipped = add(synthetic, syntheticDepth);
      const replacing = add(current, syntheticDepth);
      entries[replacing]!.replaces = skipped;
      syntheticDepth++;
    }
    if (next === undefined) break;
    previous = id;
    current = next;
    depth++;
  }
  return entries;
}
