/**
 * The packages of a file-based catalog in the listing form `registry list` gives for a database:
 * each `olm.package` with its default channel, its `olm.channel`s and their heads (the entry no
 * other entry of the channel replaces or skips), and its `olm.bundle`s with their versions (from
 * the `olm.package` property) and images. Read in the same pass as the images the bundles name.
 */
import type { PackageListing } from '../operations/list-catalog.js';
import { bundleImagePairs, forEachFbcDocument } from './fbc-images.js';

interface ChannelEntry {
  name?: unknown;
  replaces?: unknown;
  skips?: unknown;
}

export interface FbcContent {
  packages: PackageListing[];
  /** Every (image, bundle) pair, as written. */
  pairs: Array<{ image: string; bundle: string }>;
}

/** The packages and the (image, bundle) pairs of a file-based catalog, in one pass over its files. */
export async function readFbcContent(configsDir: string): Promise<FbcContent> {
  const packages = new Map<string, PackageListing>();
  const entry = (name: string): PackageListing => {
    let p = packages.get(name);
    if (p === undefined) packages.set(name, (p = { name, defaultChannel: '', channels: [], bundles: [] }));
    return p;
  };
  const pairs: FbcContent['pairs'] = [];
  await forEachFbcDocument(configsDir, (doc) => {
    pairs.push(...bundleImagePairs(doc));
    if (doc.schema === 'olm.package' && typeof doc.name === 'string') {
      entry(doc.name).defaultChannel = typeof doc.defaultChannel === 'string' ? doc.defaultChannel : '';
    } else if (doc.schema === 'olm.channel' && typeof doc.name === 'string' && typeof doc.package === 'string') {
      entry(doc.package).channels.push({ name: doc.name, head: channelHead(Array.isArray(doc.entries) ? (doc.entries as ChannelEntry[]) : []) });
    } else if (doc.schema === 'olm.bundle' && typeof doc.name === 'string' && typeof doc.package === 'string') {
      entry(doc.package).bundles.push({ name: doc.name, version: bundleVersion(doc.properties), bundlePath: typeof doc.image === 'string' ? doc.image : '' });
    }
  });
  const listing = [...packages.values()]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((p) => ({ ...p, channels: p.channels.sort((a, b) => (a.name < b.name ? -1 : 1)), bundles: p.bundles.sort((a, b) => (a.name < b.name ? -1 : 1)) }));
  return { packages: listing, pairs };
}

function channelHead(entries: readonly ChannelEntry[]): string {
  const names = entries.map((e) => e.name).filter((n): n is string => typeof n === 'string');
  const replaced = new Set<string>();
  for (const e of entries) {
    if (typeof e.replaces === 'string') replaced.add(e.replaces);
    if (Array.isArray(e.skips)) for (const s of e.skips) if (typeof s === 'string') replaced.add(s);
  }
  return names.filter((n) => !replaced.has(n)).sort()[0] ?? '';
}

function bundleVersion(properties: unknown): string {
  if (!Array.isArray(properties)) return '';
  for (const p of properties as Array<{ type?: unknown; value?: { version?: unknown } }>) {
    if (p?.type === 'olm.package' && typeof p.value?.version === 'string') return p.value.version;
  }
  return '';
}
