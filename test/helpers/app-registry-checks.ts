/**
 * The App Registry download checks both suites run: a whole namespace of nested and flattened packages
 * downloads, extracts and loads with loadManifests as `expected` (expected.json's shape) says.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { downloadAppRegistry, type AppRegistryProgress } from '../../src/catalog/appregistry/index.js';
import { loadManifests } from '../../src/catalog/load.js';
import type { AppRegistryServer } from './app-registry-server.js';
import { removeOnExit } from './cleanup.js';
import type { ExpectedCatalog } from './expected-catalog.js';
import { tempDir } from './paths.js';

/** A fresh, empty working folder inside its own parent (so "outside the working folder" can be checked). */
export function workDir(): { parent: string; dir: string } {
  const parent = tempDir('ferry-appregistry-');
  removeOnExit(parent);
  const dir = path.join(parent, 'work');
  mkdirSync(dir);
  return { parent, dir };
}

/** Every path under `dir`, relative, sorted. */
export function tree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map((p) => p.split(path.sep).join('/')).sort();
}

/** Downloads every package of `server`'s namespace and checks what came down against the served folders and `expected`. */
export async function checkNamespaceDownload(server: AppRegistryServer, expected: ExpectedCatalog): Promise<void> {
  const { dir } = workDir();
  server.reset();
  const events: AppRegistryProgress[] = [];
  const result = await downloadAppRegistry({ endpoint: server.url, namespace: server.namespace, authToken: server.token!, onProgress: (e) => events.push(e) }, dir);

  // What came down: every repository at its default release, with the digest the server advertised.
  assert.deepEqual(
    result.packages.map((p) => [p.name, p.release, p.layout, p.digest]),
    server.packages.map((p) => [p.repo, p.defaultRelease, p.layout, `sha256:${p.releases.find((r) => r.release === p.defaultRelease)!.digest}`]),
  );
  assert.deepEqual(result.roots, server.packages.map((p) => path.join(dir, p.repo)));
  assert.deepEqual(new Set(server.packages.map((p) => p.layout)), new Set(['nested', 'flattened']));
  // Nothing else in the working folder: no temp files or staging folders left.
  assert.deepEqual(readdirSync(dir).sort(), server.packages.map((p) => p.repo).sort());

  for (const served of server.packages) {
    const pkgDir = path.join(dir, served.repo);
    if (served.layout === 'flattened') {
      assert.deepEqual(readdirSync(pkgDir), ['bundle.yaml'], `${served.repo} holds the one flattened YAML`);
    } else {
      // The nested tar's package folder tree, byte for byte as in the served folder.
      const files = tree(served.dir);
      const extracted = tree(path.join(pkgDir, served.repo));
      assert.deepEqual(extracted, files, `${served.repo} extracted as served`);
      for (const f of files.filter((x) => x.endsWith('.yaml'))) {
        assert.ok(readFileSync(path.join(pkgDir, served.repo, f)).equals(readFileSync(path.join(served.dir, f))), `${served.repo}/${f} unchanged`);
      }
    }
  }

  // The loader reads every package as `expected` describes it.
  const loaded = await loadManifests(result.roots);
  const byName = new Map(loaded.catalog.packages.map((p) => [p.name, p]));
  assert.deepEqual([...byName.keys()].sort(), server.packages.map((p) => p.packageName).sort());
  for (const served of server.packages) {
    const exp = expected.packages[`package-manifests/${path.basename(served.dir)}`];
    assert.ok(exp, `expected has ${path.basename(served.dir)}`);
    const pkg = byName.get(exp.packageName)!;
    assert.equal(pkg.defaultChannel, exp.defaultChannel ?? exp.defaultChannelImplied, `${served.repo} default channel`);
    assert.deepEqual(
      Object.fromEntries(pkg.channels.map((c) => [c.name, c.head])),
      Object.fromEntries(Object.entries(exp.channels).map(([name, c]) => [name, c.head])),
      `${served.repo} channel heads`,
    );
    // Nested: every CSV of the folder is a bundle. Flattened: the CSVs the channels reach.
    const expectedBundles = served.layout === 'nested' ? exp.csvNames : [...new Set(Object.values(exp.channels).flatMap((c) => c.members))].filter((n) => exp.csvNames.includes(n));
    assert.deepEqual(pkg.bundles.map((b) => b.name).sort(), [...expectedBundles].sort(), `${served.repo} bundles`);
    assert.equal(pkg.bundles.length, exp.csvNames.length, `${served.repo} bundle count`);
  }

  // The protocol as the spec has it: listing query, token verbatim on every request, Accept headers.
  const listing = server.requests.find((r) => r.path === '/cnr/api/v1/packages')!;
  assert.deepEqual(listing.query, { media_type: 'helm', namespace: server.namespace });
  assert.equal(listing.accept, 'application/json');
  assert.ok(server.requests.every((r) => r.authorization === server.token && r.status === 200));
  const blobs = server.requests.filter((r) => r.path.includes('/blobs/sha256/'));
  assert.equal(blobs.length, server.packages.length);
  assert.ok(blobs.every((r) => r.accept === 'application/x-gzip'));
  // Progress: one listing event, then start/done per package; no event carries the token.
  assert.deepEqual(events.filter((e) => e.type === 'package-done').map((e) => (e as { name: string }).name), server.packages.map((p) => p.repo));
  assert.ok(!JSON.stringify(events).includes(server.token!));
}
