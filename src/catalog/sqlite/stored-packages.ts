/**
 * The packages a database holds, as the channel graph sees them: each bundle in the package's channel
 * entries with its version, replaces and skips (from operatorbundle) and the channels it has entries
 * in. This is what opm reads back (ListRegistryBundles) before it adds bundles to a package.
 */
import type { StoredNode, StoredPackage } from '../manifests/raw-package.js';
import { queryRows, type Database } from './database.js';

export function readStoredPackages(db: Database, source: string): Map<string, StoredPackage> {
  const defaults = new Map(queryRows<{ name: string; default_channel: string | null }>(db, 'SELECT name, default_channel FROM package').map((r) => [r.name, r.default_channel ?? '']));
  const rows = queryRows<{ package_name: string; channel_name: string; name: string; version: string | null; replaces: string | null; skips: string | null }>(
    db,
    `SELECT DISTINCT channel_entry.package_name, channel_entry.channel_name, operatorbundle.name, operatorbundle.version, operatorbundle.replaces, operatorbundle.skips
     FROM channel_entry INNER JOIN operatorbundle ON operatorbundle.name = channel_entry.operatorbundle_name
     ORDER BY channel_entry.package_name, operatorbundle.name, channel_entry.channel_name`,
  );
  const nodes = new Map<string, Map<string, StoredNode & { channels: string[] }>>();
  for (const r of rows) {
    const pkg = nodes.get(r.package_name) ?? new Map<string, StoredNode & { channels: string[] }>();
    nodes.set(r.package_name, pkg);
    const defaultChannel = defaults.get(r.package_name) ?? '';
    const node = pkg.get(r.name) ?? {
      name: r.name,
      version: r.version ?? '',
      replaces: r.replaces ?? '',
      skips: (r.skips ?? '').split(',').filter((s) => s !== ''),
      channels: [],
      ...(defaultChannel === '' ? {} : { defaultChannelAnnotation: defaultChannel }),
    };
    node.channels.push(r.channel_name);
    pkg.set(r.name, node);
  }
  return new Map([...nodes].map(([name, pkg]) => [name, { source, nodes: [...pkg.values()] }]));
}
