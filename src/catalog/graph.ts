/**
 * Building a package's channels (the upgrade graph stored in channel_entry) as operator-registry does:
 *  - package-manifest layouts: heads from the package file, entries along replaces and skips;
 *  - bundle layouts, "replaces" mode: head = highest version among the channel's bundles, entries along
 *    replaces and skips (the chain may cross into bundles of other channels, as in opm);
 *  - bundle layouts, "semver" and "semver-skippatch" modes: entries ordered by version (semver-graph.ts).
 * The default for bundle layouts is replaces where that graph is valid and reaches every bundle of every
 * channel, semver otherwise; the choice and its reason are reported.
 * Bundles of a package already in the database (opm's `registry add -b` to an existing package) take
 * part as graph nodes: the channels are rebuilt over the stored bundles and the new ones together.
 */
import type semver from 'semver';
import type { Bundle, Channel, ChannelEntry, GraphMode, Package } from './model.js';
import type { RawPackage, StoredNode } from './manifests/raw-package.js';
import type { ProblemList } from './problems.js';
import { semverChannel } from './semver-graph.js';
import { compareBundleVersions, parseBundleVersion } from './version.js';

export type ModeOption = 'auto' | 'replaces' | 'semver' | 'semver-skippatch';

export interface BuildResult {
  pkg?: Package;
  /** Statements about choices made (e.g. which mode and why). */
  notes: string[];
  warnings: string[];
}

/** What the channel walk needs of a bundle, new (from manifests) or stored (in the database already). */
export interface GraphNode extends StoredNode {
  /** Where it came from, for messages (the CSV file, or the database). */
  readonly file: string;
}

function nodeOf(b: Bundle): GraphNode {
  return { name: b.name, version: b.version, replaces: b.replaces, skips: b.skips, channels: b.channels, ...(b.defaultChannelAnnotation ? { defaultChannelAnnotation: b.defaultChannelAnnotation } : {}), file: b.csv.file };
}

interface Walk {
  entries: ChannelEntry[];
  errors: { bundle: GraphNode; field: string; message: string }[];
}

/** opm's channel walk: the head at depth 0, then along skips and replaces. */
function walkChannel(head: string, byName: ReadonlyMap<string, GraphNode>): Walk {
  const entries: { bundle: string; replaces?: number; depth: number }[] = [];
  const errors: Walk['errors'] = [];
  const push = (bundle: string, depth: number, replaces?: number): number => {
    entries.push(replaces === undefined ? { bundle, depth } : { bundle, depth, replaces });
    return entries.length - 1;
  };
  let current = push(head, 0);
  let name = head;
  let depth = 1;
  const seen = new Set([head]);
  for (;;) {
    const bundle = byName.get(name)!;
    for (const skipped of bundle.skips) {
      const s = push(skipped, depth);
      push(name, depth, s);
      depth++;
    }
    if (bundle.replaces === '') break;
    const r = push(bundle.replaces, depth);
    if (seen.has(bundle.replaces)) {
      errors.push({ bundle, field: 'spec.replaces', message: `replaces cycle: ${bundle.name} replaces ${bundle.replaces}, which is already in the chain from ${head}` });
      break;
    }
    seen.add(bundle.replaces);
    entries[current]!.replaces = r;
    if (!byName.has(bundle.replaces)) {
      errors.push({ bundle, field: 'spec.replaces', message: `replaces ${bundle.replaces}, which is not in the catalog` });
      break;
    }
    current = r;
    name = bundle.replaces;
    depth++;
  }
  return { entries, errors };
}

/** Walk errors of all channels, reported once per bundle and message with the channels they occur in. */
class WalkErrors {
  private readonly byKey = new Map<string, { error: Walk['errors'][number]; channels: string[] }>();

  add(channel: string, walk: Walk): void {
    for (const error of walk.errors) {
      const key = `${error.bundle.name}\0${error.field}\0${error.message}`;
      const entry = this.byKey.get(key) ?? { error, channels: [] };
      entry.channels.push(channel);
      this.byKey.set(key, entry);
    }
  }

  report(problems: ProblemList): void {
    for (const { error, channels } of this.byKey.values()) {
      problems.add(error.bundle.file, `${error.message} (channel${channels.length > 1 ? 's' : ''} ${channels.join(', ')})`, error.field);
    }
  }
}

function indexByName(raw: RawPackage, problems: ProblemList): Map<string, GraphNode> | undefined {
  const byName = new Map<string, GraphNode>();
  let ok = true;
  for (const n of raw.stored?.nodes ?? []) byName.set(n.name, { ...n, file: raw.stored!.source });
  for (const b of raw.bundles) {
    const other = byName.get(b.name);
    if (other) {
      const where = raw.stored && other.file === raw.stored.source ? `it is already in ${other.file}` : `the other is ${other.file}`;
      problems.add(b.csv.file, `two CSVs named ${b.name} in package ${raw.name} (${where})`, 'metadata.name');
      ok = false;
    } else byName.set(b.name, nodeOf(b));
  }
  return ok ? byName : undefined;
}

export function buildPackage(raw: RawPackage, mode: ModeOption, problems: ProblemList): BuildResult {
  const byName = indexByName(raw, problems);
  if (!byName) return { notes: [], warnings: [] };
  return raw.packageFile ? buildFromPackageFile(raw, byName, problems) : buildFromBundles(raw, byName, mode, problems);
}

function buildFromPackageFile(raw: RawPackage, byName: Map<string, GraphNode>, problems: ProblemList): BuildResult {
  const pf = raw.packageFile!;
  const before = problems.size;
  const names = pf.channels.map((c) => c.name);
  const warnings: string[] = [];
  let defaultChannel = pf.defaultChannel;
  if (!names.includes(defaultChannel)) {
    if (names.length === 1) {
      // opm takes the only channel as the default whatever the package file says.
      if (defaultChannel !== '') warnings.push(`package ${pf.packageName}: default channel ${defaultChannel} is not a channel; the only channel, ${names[0]}, is the default (as opm does) (${pf.file})`);
      defaultChannel = names[0]!;
    } else {
      problems.add(
        pf.file,
        defaultChannel === '' ? `package ${pf.packageName} has ${names.length} channels and no default channel` : `default channel ${defaultChannel} is not one of the channels (${names.join(', ')})`,
        'defaultChannel',
      );
    }
  }
  const channels: Channel[] = [];
  const walkErrors = new WalkErrors();
  pf.channels.forEach((c, i) => {
    if (!byName.has(c.currentCSV)) {
      problems.add(pf.file, `channel ${c.name}: currentCSV ${c.currentCSV} is not in the package`, `channels[${i}].currentCSV`);
      return;
    }
    const walk = walkChannel(c.currentCSV, byName);
    walkErrors.add(c.name, walk);
    channels.push({ name: c.name, head: c.currentCSV, entries: walk.entries });
  });
  walkErrors.report(problems);
  if (problems.size > before) return { notes: [], warnings: [] };
  const reached = new Set(channels.flatMap((c) => c.entries.map((e) => e.bundle)));
  const unreached = raw.bundles.filter((b) => !reached.has(b.name)).map((b) => b.name);
  if (unreached.length > 0) warnings.push(`package ${raw.name}: ${unreached.join(', ')} ${unreached.length === 1 ? 'is' : 'are'} in no channel (stored, but not installable)`);
  return { pkg: { name: raw.name, defaultChannel, channels, bundles: raw.bundles, mode: 'package-manifest', source: raw.source }, notes: [], warnings };
}

function buildFromBundles(raw: RawPackage, byName: Map<string, GraphNode>, mode: ModeOption, problems: ProblemList): BuildResult {
  const before = problems.size;
  const nodes = [...byName.values()];
  const versions = new Map<string, semver.SemVer>();
  for (const n of nodes) {
    const v = parseBundleVersion(n.version);
    if (!v) problems.add(n.file, `version "${n.version}" of ${n.name} is not a semantic version (opm refuses it for bundles)`, 'spec.version');
    else versions.set(n.name, v);
  }
  for (const b of raw.bundles) {
    if (b.channels.length === 0) problems.add(b.source, `bundle ${b.name} declares no channel`, 'metadata/annotations.yaml operators.operatorframework.io.bundle.channels.v1');
  }
  if (problems.size > before) return { notes: [], warnings: [] };

  const byVersionDesc = [...nodes].sort((a, b) => compareBundleVersions(versions.get(b.name)!, versions.get(a.name)!));
  const channelNames = [...new Set(byVersionDesc.flatMap((b) => b.channels))].sort();
  const members = new Map(channelNames.map((c) => [c, byVersionDesc.filter((b) => b.channels.includes(c))]));
  const semverMode = mode === 'semver' || mode === 'semver-skippatch';

  for (const [channel, list] of members) {
    for (let i = 0; i + 1 < list.length && (semverMode || i === 0); i++) {
      if (compareBundleVersions(versions.get(list[i]!.name)!, versions.get(list[i + 1]!.name)!) !== 0) continue;
      problems.add(list[i + 1]!.file, `channel ${channel}: ${list[i]!.name} and ${list[i + 1]!.name} have the same version ${list[i]!.version}`, 'spec.version');
    }
  }
  const declared = byVersionDesc.find((b) => b.defaultChannelAnnotation !== undefined);
  let defaultChannel = declared?.defaultChannelAnnotation ?? '';
  if (defaultChannel === '' && channelNames.length === 1) defaultChannel = channelNames[0]!;
  if (defaultChannel === '') {
    problems.add(raw.source, `package ${raw.name} has ${channelNames.length} channels (${channelNames.join(', ')}) and no bundle names a default channel`, 'operators.operatorframework.io.bundle.channel.default.v1');
  } else if (!channelNames.includes(defaultChannel)) {
    problems.add(declared!.file, `default channel ${defaultChannel} is not a channel of package ${raw.name}`, 'operators.operatorframework.io.bundle.channel.default.v1');
  }
  if (problems.size > before) return { notes: [], warnings: [] };

  const notes: string[] = [];
  let chosen: GraphMode = semverMode ? mode : 'replaces';
  let channels: Channel[] = [];
  if (!semverMode) {
    const failures: string[] = [];
    const walkErrors = new WalkErrors();
    channels = channelNames.map((name) => {
      const list = members.get(name)!;
      const walk = walkChannel(list[0]!.name, byName);
      walkErrors.add(name, walk);
      for (const e of walk.errors) failures.push(`channel ${name}: ${e.bundle.name} ${e.message}`);
      const reached = new Set(walk.entries.map((e) => e.bundle));
      const missed = walk.errors.length > 0 ? [] : list.filter((b) => !reached.has(b.name));
      for (const b of missed) {
        const message = `channel ${name}: ${b.name} is not reachable from the channel head ${list[0]!.name} along replaces/skips`;
        // opm refuses such an add ("add prunes bundle ... from package ..., channel ...").
        if (mode === 'replaces') problems.add(b.file, `${message}; use --mode semver to order the channel by version`, 'spec.replaces');
        failures.push(message);
      }
      return { name, head: list[0]!.name, entries: walk.entries };
    });
    if (mode === 'replaces') walkErrors.report(problems);
    if (problems.size > before) return { notes: [], warnings: [] };
    if (mode === 'replaces') {
      notes.push(`package ${raw.name}: replaces mode (forced)`);
    } else if (failures.length > 0) {
      chosen = 'semver';
      notes.push(`package ${raw.name}: semver mode (the replaces graph does not hold: ${failures[0]}${failures.length > 1 ? ` and ${failures.length - 1} more` : ''})`);
    } else {
      notes.push(`package ${raw.name}: replaces mode`);
    }
  } else {
    notes.push(`package ${raw.name}: ${mode} mode (forced)`);
  }
  if (chosen === 'semver' || chosen === 'semver-skippatch') {
    channels = channelNames.map((name) => semverChannel(name, members.get(name)!, versions, chosen === 'semver-skippatch'));
  }
  const stored = raw.stored ? { storedBundles: raw.stored.nodes.map((n) => n.name) } : {};
  return { pkg: { name: raw.name, defaultChannel, channels, bundles: raw.bundles, mode: chosen, source: raw.source, ...stored }, notes, warnings: [] };
}
