/**
 * A pushed sqlite catalog image checked with independent tools, as one check both suites run on their
 * own packages (test/catalog-image.test.ts on synthetic ones, test/conformance/catalog-image-corpus.test.ts
 * on the shared corpus): labels, entrypoint, cmd and port read by skopeo; the database pulled out by
 * skopeo and umoci and opened by sqlite3; the same images as the database; the same digest twice.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { ferryAsync } from './cli.js';
import { runChecked } from './exec.js';
import { buildFixtureLayout, sha256Digest, skopeoCopy, skopeoInspectRaw, type FixtureLayout } from './fixtures.js';
import { tempDir } from './paths.js';
import { startRegistry, type TestRegistry } from './registry.js';

/** Builds `packages` onto `base` (a reference in `registry`) as REGISTRY/olm/catalog:v1 and checks it; `expectedImages` are the database's. */
export async function checkPushedCatalog(registry: TestRegistry, packages: readonly string[], base: string, expectedImages: readonly string[]): Promise<void> {
  const ref = `${registry.host}/olm/catalog:v1`;
  const built = await ferryAsync(['registry', 'build', '--from-dir', packages.join(','), '--from', base, '--to', ref, '--json']);
  assert.equal(built.status, 0, built.stderr);
  const digest = built.json!.result.image.digest;
  assert.equal(sha256Digest(await skopeoInspectRaw(`docker://${ref}`, registry)), digest);

  const config = JSON.parse((await runChecked('skopeo', ['--insecure-policy', 'inspect', '--config', '--tls-verify=false', `docker://${ref}`])).stdout) as {
    config: { Labels: Record<string, string>; Entrypoint: string[]; Cmd: string[]; ExposedPorts: Record<string, object> };
  };
  assert.equal(config.config.Labels['operators.operatorframework.io.index.database.v1'], '/database/index.db');
  assert.deepEqual(config.config.Entrypoint, ['/bin/opm']);
  assert.deepEqual(config.config.Cmd, ['registry', 'serve', '--database', '/database/index.db']);
  assert.deepEqual(Object.keys(config.config.ExposedPorts), ['50051/tcp']);

  const out = tempDir();
  await runChecked('skopeo', ['--insecure-policy', 'copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${out}/layout:c`]);
  await runChecked('umoci', ['raw', 'unpack', '--rootless', '--image', `${out}/layout:c`, `${out}/root`]);
  const version = await runChecked('sqlite3', [path.join(out, 'root', 'database', 'index.db'), 'SELECT version FROM schema_migrations']);
  assert.equal(version.stdout.trim(), '13');

  const images = await ferryAsync(['registry', 'images', '--from', ref, '--json']);
  assert.equal(images.status, 0, images.stderr);
  assert.deepEqual(images.json!.result.images, [...expectedImages, ref].sort());

  const again = await ferryAsync(['registry', 'build', '--from-dir', packages.join(','), '--from', base, '--to', `${registry.host}/olm/catalog:again`, '--json']);
  assert.equal(again.json!.result.image.digest, digest, 'same input, same digest');
}

export interface CatalogFixture {
  layout: FixtureLayout;
  /** A plain-HTTP registry holding the fixture base image as REGISTRY/opm:latest. */
  registry: TestRegistry;
  /** index.db of `packages`, built with --db-only. */
  database: string;
  /** What `registry images --from-db` lists for it. */
  expectedImages: string[];
}

/** The setup both catalog-image suites share: a registry with a base image, and the database of `packages` with its images. */
export async function startCatalogFixture(packages: readonly string[]): Promise<CatalogFixture> {
  const layout = await buildFixtureLayout();
  const registry = await startRegistry({ auth: 'none' });
  await skopeoCopy(layout.images.base.layoutRef, `docker://${registry.host}/opm:latest`, { dest: registry });
  const db = await ferryAsync(['registry', 'build', '--from-dir', packages.join(','), '--db-only', '--save', tempDir(), '--json']);
  assert.equal(db.status, 0, db.stderr);
  const database = db.json!.result.database as string;
  const listed = await ferryAsync(['registry', 'images', '--from-db', database, '--json']);
  const expectedImages = listed.json!.result.images as string[];
  assert.ok(expectedImages.length > 5);
  return { layout, registry, database, expectedImages };
}
