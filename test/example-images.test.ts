/**
 * The example images (examples/images, committed): what examples/make-images.mjs generates, byte
 * for byte; exactly the images the example manifests name plus the catalog base; small; and read
 * by independent tools (skopeo copies every image whole, umoci lists the layout and unpacks the
 * single-platform images).
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { removeOnExit } from './helpers/cleanup.js';
import { ferryAsync } from './helpers/cli.js';
import { runChecked } from './helpers/exec.js';
import { sha256Digest, skopeoCopy, skopeoInspectRaw, OCI_INDEX } from './helpers/fixtures.js';
import { repoRoot, tempDir } from './helpers/paths.js';

const IMAGES = path.join(repoRoot, 'examples', 'images');
const REF_NAME = 'org.opencontainers.image.ref.name';
const CATALOG_BASE = 'quay.io/ferry-example/catalog-base:latest';

interface Entry {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

function entries(dir: string): Entry[] {
  return (JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as { manifests: Entry[] }).manifests;
}

const refNames = (dir: string): string[] => entries(dir).map((e) => e.annotations![REF_NAME]!);

/** Every file under dir (relative path → sha256 of its bytes). */
function fileDigests(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (sub: string): void => {
    for (const name of readdirSync(path.join(dir, sub))) {
      const rel = path.join(sub, name);
      if (statSync(path.join(dir, rel)).isDirectory()) walk(rel);
      else out.set(rel, sha256Digest(readFileSync(path.join(dir, rel))));
    }
  };
  walk('');
  return out;
}

function temp(prefix: string): string {
  const dir = tempDir(prefix);
  removeOnExit(dir);
  return dir;
}

test('examples/images is exactly what examples/make-images.mjs generates (same files, same digests)', async () => {
  const out = temp('ferry-example-images-');
  await runChecked(process.execPath, [path.join(repoRoot, 'examples', 'make-images.mjs'), out]);
  const generated = fileDigests(out);
  const committed = fileDigests(IMAGES);
  assert.deepEqual([...committed.keys()].sort(), [...generated.keys()].sort());
  for (const [file, digest] of generated) assert.equal(committed.get(file), digest, file);
  // Blob files are named by their own digest.
  for (const [file, digest] of committed) if (file.startsWith(path.join('blobs', 'sha256'))) assert.equal(digest, `sha256:${path.basename(file)}`, file);
});

test('the layout names every image the example manifests name (normalized) and the catalog base, and is small', async () => {
  const dir = temp('ferry-example-db-');
  const built = await ferryAsync(['registry', 'build', '--from-dir', path.join(repoRoot, 'examples', 'manifests'), '--db-only', '--save', dir]);
  assert.equal(built.status, 0, built.stderr);
  const listed = await ferryAsync(['registry', 'images', '--from-db', path.join(dir, 'index.db')]);
  assert.equal(listed.status, 0, listed.stderr);
  const named = listed.stdout.trim().split('\n');
  assert.ok(named.some((r) => r.includes('@sha256:')), 'the example names an image by digest');
  assert.deepEqual(refNames(IMAGES).sort(), [...named, CATALOG_BASE].sort());

  const total = [...fileDigests(IMAGES).keys()].reduce((n, f) => n + statSync(path.join(IMAGES, f)).size, 0);
  assert.ok(total < 1024 * 1024, `the layout is ${total} bytes`);
  assert.ok(entries(IMAGES).some((e) => e.mediaType === OCI_INDEX), 'at least one multi-platform image');
});

test('skopeo reads every example image (whole, all platforms; digests unchanged) and umoci lists and unpacks them', async () => {
  const copy = temp('ferry-example-skopeo-');
  const platforms = new Map<string, string[]>();
  for (const e of entries(IMAGES)) {
    const ref = e.annotations![REF_NAME]!;
    assert.equal(sha256Digest(await skopeoInspectRaw(`oci:${IMAGES}:${ref}`)), e.digest, ref);
    // skopeo copy reads every blob and checks it against its digest.
    assert.equal(await skopeoCopy(`oci:${IMAGES}:${ref}`, `oci:${copy}:${ref}`), e.digest, ref);
    if (e.mediaType === OCI_INDEX) {
      const index = JSON.parse(readFileSync(path.join(IMAGES, 'blobs', 'sha256', e.digest.slice(7)), 'utf8')) as { manifests: Array<{ platform: { os: string; architecture: string } }> };
      platforms.set(ref, index.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`));
    }
  }
  assert.deepEqual(platforms.get(CATALOG_BASE), ['linux/amd64', 'linux/arm64']);

  // umoci works on a copy (it may write to the layout it opens).
  const layout = temp('ferry-example-umoci-');
  cpSync(IMAGES, layout, { recursive: true });
  const ls = await runChecked('umoci', ['ls', '--layout', layout]);
  assert.deepEqual(ls.stdout.trim().split('\n').sort(), refNames(IMAGES).sort());
  // umoci 0.4 unpacks single-platform images only (an index is "ambiguous" to it).
  for (const e of entries(IMAGES).filter((x) => x.mediaType !== OCI_INDEX)) {
    const ref = e.annotations![REF_NAME]!;
    const bundle = path.join(temp('ferry-example-bundle-'), 'b');
    await runChecked('umoci', ['unpack', '--rootless', '--image', `${layout}:${ref}`, bundle]);
    const program = readdirSync(path.join(bundle, 'rootfs', 'usr', 'local', 'bin'));
    assert.equal(program.length, 1, ref);
    assert.match(readFileSync(path.join(bundle, 'rootfs', 'usr', 'local', 'bin', program[0]!), 'utf8'), /synthetic ferry example image/);
    assert.match(readFileSync(path.join(bundle, 'rootfs', 'etc', 'os-release'), 'utf8'), /ferry-example/);
  }
});
