/**
 * Catalog fixtures made with independent tools: a file-based catalog rendered from a database by
 * the sqlite3 command, and catalog images assembled by umoci and pushed by skopeo.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runChecked } from './exec.js';
import { tempDir } from './paths.js';

/** Renders a file-based catalog (olm.package, olm.bundle with relatedImages) from a database. */
export async function renderFbcFromDatabase(database: string, configsDir: string): Promise<void> {
  const query = async <T>(sql: string): Promise<T[]> => {
    const r = await runChecked('sqlite3', ['-json', database, sql]);
    return r.stdout.trim() === '' ? [] : (JSON.parse(r.stdout) as T[]);
  };
  const packages = await query<{ name: string; default_channel: string }>('SELECT name, default_channel FROM package ORDER BY name');
  const bundles = await query<{ name: string; package: string; bundlepath: string | null }>(
    'SELECT DISTINCT b.name AS name, e.package_name AS package, b.bundlepath AS bundlepath FROM operatorbundle b JOIN channel_entry e ON e.operatorbundle_name = b.name ORDER BY b.name',
  );
  const related = await query<{ image: string; operatorbundle_name: string }>('SELECT image, operatorbundle_name FROM related_image ORDER BY image');
  for (const p of packages) {
    const dir = path.join(configsDir, p.name);
    mkdirSync(dir, { recursive: true });
    const objects: unknown[] = [{ schema: 'olm.package', name: p.name, defaultChannel: p.default_channel }];
    for (const b of bundles.filter((x) => x.package === p.name)) {
      objects.push({
        schema: 'olm.bundle',
        name: b.name,
        package: p.name,
        image: b.bundlepath ?? '',
        relatedImages: related.filter((r) => r.operatorbundle_name === b.name).map((r) => ({ name: '', image: r.image })),
      });
    }
    // A JSON stream, as opm render writes it.
    writeFileSync(path.join(dir, 'catalog.json'), objects.map((o) => JSON.stringify(o, null, 2)).join('\n'));
  }
}

/**
 * A single-platform image made by umoci holding `files` (a folder copied to `at`) with `labels`,
 * pushed by skopeo to `destination` (docker://...). Optionally a second layer deletes `whiteout`.
 */
export async function pushUmociImage(options: { files: string; at: string; labels: Record<string, string>; destination: string; whiteout?: string; skopeoFlags: string[]; entrypoint?: string[]; cmd?: string[]; more?: Array<{ files: string; at: string }> }): Promise<void> {
  const work = tempDir('ferry-umoci-');
  const layout = path.join(work, 'layout');
  const umoci = (...args: string[]) => runChecked('umoci', args);
  await umoci('init', '--layout', layout);
  await umoci('new', '--image', `${layout}:img`);
  await umoci('config', '--image', `${layout}:img`, '--os', 'linux', '--architecture', 'amd64', ...Object.entries(options.labels).flatMap(([k, v]) => ['--config.label', `${k}=${v}`]),
    ...(options.entrypoint ?? []).flatMap((a) => ['--config.entrypoint', a]),
    ...(options.cmd ?? []).flatMap((a) => ['--config.cmd', a]),
  );
  await umoci('insert', '--rootless', '--image', `${layout}:img`, options.files, options.at);
  for (const extra of options.more ?? []) await umoci('insert', '--rootless', '--image', `${layout}:img`, extra.files, extra.at);
  if (options.whiteout) {
    const bundle = path.join(work, 'bundle');
    await umoci('unpack', '--rootless', '--image', `${layout}:img`, bundle);
    await runChecked('rm', ['-rf', path.join(bundle, 'rootfs', options.whiteout)]);
    await umoci('repack', '--image', `${layout}:img`, bundle);
  }
  await runChecked('skopeo', ['--insecure-policy', 'copy', ...options.skopeoFlags, `oci:${layout}:img`, options.destination]);
}
