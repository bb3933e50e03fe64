#!/usr/bin/env node
/**
 * Writes examples/images: an OCI image layout of small synthetic images, one for every image the
 * example manifests (examples/manifests) name, plus a catalog base image. `npm run example` packs
 * them without any registry or network (`ferry pack --images-from examples/images`).
 *
 *   node examples/make-images.mjs [OUT_DIR]      (default: examples/images beside this script)
 *
 * The images are not real programs: each holds a few text files and a shell script that says what
 * it is. The catalog base in particular holds no opm: a catalog built on it can be packed, served
 * and mirrored, but not run on a cluster (use quay.io/operator-framework/opm for that).
 *
 * Deterministic: the same script gives the same bytes, hence the same digests, on any machine and
 * Node version. Tar entries have fixed times, owners and modes; layers are gzip members written by
 * this script with stored (uncompressed) deflate blocks, so no zlib version can change them; JSON
 * is written with a fixed key order and no white space; `created` is fixed. The layout is
 * committed: the demo never runs this script. test/example-images.test.ts regenerates it and
 * compares.
 *
 * Pure Node (no dependencies), so it runs before `npm ci` too.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CREATED = '2024-01-01T00:00:00Z';
const MTIME = Date.parse(CREATED) / 1000;
const REF_NAME = 'org.opencontainers.image.ref.name';
const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
};
const AMD64 = { architecture: 'amd64', os: 'linux' };
const ARM64 = { architecture: 'arm64', os: 'linux' };

/**
 * Every image: its normalized reference (the layout's ref name; `@digest` for the one the example
 * manifests name by digest), its platforms, the program it pretends to be, and its version.
 * The references must stay the normalized form of what examples/manifests name
 * (src/oci/reference.ts normalizeReference: `busybox:1.36` → `docker.io/library/busybox:1.36`).
 */
const IMAGES = [
  { ref: 'quay.io/ferry-example/catalog-base:latest', platforms: [AMD64, ARM64], program: 'opm', version: 'latest', catalogBase: true },
  { ref: 'quay.io/ferry-example/hello-operator:v1.0.0', platforms: [AMD64, ARM64], program: 'hello-operator', version: '1.0.0' },
  { ref: 'quay.io/ferry-example/hello-operator:v1.1.0', platforms: [AMD64, ARM64], program: 'hello-operator', version: '1.1.0' },
  { ref: 'quay.io/ferry-example/greeter', byDigest: true, platforms: [AMD64], program: 'greeter', version: '1.0.0' },
  { ref: 'docker.io/library/busybox:1.36', platforms: [AMD64], program: 'busybox', version: '1.36' },
  { ref: 'ghcr.io/ferry-example/world:2.0.0', platforms: [AMD64], program: 'world', version: '2.0.0' },
  { ref: 'ghcr.io/ferry-example/world:2.1.0', platforms: [AMD64], program: 'world', version: '2.1.0' },
  { ref: 'docker.io/ferry-example/world-operator:2.0.0', platforms: [AMD64], program: 'world-operator', version: '2.0.0' },
  { ref: 'docker.io/ferry-example/world-operator:2.1.0', platforms: [AMD64], program: 'world-operator', version: '2.1.0' },
];

// ---- tar (ustar) ------------------------------------------------------------------------------

function tarHeader(name, { size = 0, mode, type }) {
  const h = Buffer.alloc(512);
  const put = (value, offset, length) => h.write(value, offset, length, 'ascii');
  const octal = (n, length) => n.toString(8).padStart(length - 1, '0') + '\0';
  put(name, 0, 100);
  put(octal(mode, 8), 100, 8);
  put(octal(0, 8), 108, 8); // uid
  put(octal(0, 8), 116, 8); // gid
  put(octal(size, 12), 124, 12);
  put(octal(MTIME, 12), 136, 12);
  put('        ', 148, 8); // checksum placeholder
  put(type, 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  put('root', 265, 32);
  put('root', 297, 32);
  let sum = 0;
  for (const byte of h) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return h;
}

/** A tar of `entries` ([{path, content?, mode?}]; a path ending in `/` is a folder), ended by two zero blocks. */
function tar(entries) {
  const parts = [];
  for (const e of entries) {
    if (e.path.endsWith('/')) {
      parts.push(tarHeader(e.path, { mode: 0o755, type: '5' }));
      continue;
    }
    const body = Buffer.from(e.content, 'utf8');
    parts.push(tarHeader(e.path, { size: body.length, mode: e.mode ?? 0o644, type: '0' }));
    parts.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

// ---- gzip with stored deflate blocks (RFC 1951 §3.2.4, RFC 1952) -------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function gzipStored(data) {
  // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=255 (unknown): the same on every system.
  const parts = [Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255])];
  const MAX = 65535;
  for (let offset = 0; offset === 0 || offset < data.length; offset += MAX) {
    const chunk = data.subarray(offset, offset + MAX);
    const last = offset + MAX >= data.length;
    const head = Buffer.alloc(5);
    head[0] = last ? 1 : 0; // BFINAL, BTYPE=00 (stored)
    head.writeUInt16LE(chunk.length, 1);
    head.writeUInt16LE(~chunk.length & 0xffff, 3);
    parts.push(head, chunk);
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data), 0);
  trailer.writeUInt32LE(data.length >>> 0, 4);
  parts.push(trailer);
  return Buffer.concat(parts);
}

// ---- the images ---------------------------------------------------------------------------------

const sha256 = (bytes) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** The layer every image starts with (stored once in the layout, as registries share base layers). */
function baseLayerTar() {
  return tar([
    { path: 'etc/' },
    { path: 'etc/os-release', content: 'NAME="ferry example"\nID=ferry-example\nVERSION_ID=1\nPRETTY_NAME="ferry example base (synthetic, not a distribution)"\n' },
    { path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n' },
    { path: 'etc/group', content: 'root:x:0:\nnobody:x:65534:\n' },
  ]);
}

function appLayerTar(image, platform) {
  const where = `${platform.os}/${platform.architecture}`;
  const name = image.ref.replace(/[:@].*$/, '');
  if (image.catalogBase) {
    return tar([
      { path: 'bin/' },
      {
        path: 'bin/opm',
        mode: 0o755,
        content: `#!/bin/sh\n# ferry example catalog base (${where}): a stand-in, not opm.\necho "ferry example catalog base: this image holds no opm and cannot serve a catalog; build real catalogs on quay.io/operator-framework/opm" >&2\nexit 1\n`,
      },
      { path: 'etc/ferry-example/' },
      { path: 'etc/ferry-example/catalog-base.txt', content: `Synthetic catalog base image for the ferry example (${where}).\nferry registry build adds the catalog database on top of it; it holds no opm.\n` },
    ]);
  }
  return tar([
    { path: 'etc/ferry-example/' },
    { path: `etc/ferry-example/${image.program}.txt`, content: `Synthetic example image for ferry: ${name} ${image.version} (${where}).\nIt is not a real ${image.program}: it only carries this file and a script.\n` },
    { path: 'usr/' },
    { path: 'usr/local/' },
    { path: 'usr/local/bin/' },
    { path: `usr/local/bin/${image.program}`, mode: 0o755, content: `#!/bin/sh\necho "${image.program} ${image.version} (${where}): a synthetic ferry example image"\n` },
  ]);
}

/** Writes blobs into `blobs` (digest → bytes); returns the descriptor. */
function addBlob(blobs, mediaType, bytes) {
  const digest = sha256(bytes);
  blobs.set(digest, bytes);
  return { mediaType, digest, size: bytes.length };
}

function json(value) {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function platformImage(blobs, image, platform, baseTar) {
  const layers = [baseTar, appLayerTar(image, platform)];
  const layerDescriptors = layers.map((t) => addBlob(blobs, MEDIA.layer, gzipStored(t)));
  const entrypoint = image.catalogBase ? ['/bin/opm'] : [`/usr/local/bin/${image.program}`];
  const config = {
    created: CREATED,
    architecture: platform.architecture,
    os: platform.os,
    config: {
      Env: ['PATH=/usr/local/bin:/usr/bin:/bin'],
      Entrypoint: entrypoint,
      Labels: {
        'org.opencontainers.image.title': image.program,
        'org.opencontainers.image.version': image.version,
        'org.opencontainers.image.description': image.catalogBase ? 'ferry example catalog base (synthetic: no opm inside)' : 'ferry example image (synthetic: not a real program)',
      },
    },
    rootfs: { type: 'layers', diff_ids: layers.map((t) => sha256(t)) },
    history: [
      { created: CREATED, created_by: 'examples/make-images.mjs: base layer' },
      { created: CREATED, created_by: `examples/make-images.mjs: ${image.program} layer` },
    ],
  };
  const configDescriptor = addBlob(blobs, MEDIA.config, json(config));
  const manifest = { schemaVersion: 2, mediaType: MEDIA.manifest, config: configDescriptor, layers: layerDescriptors };
  return addBlob(blobs, MEDIA.manifest, json(manifest));
}

/** Every blob and the layout's index.json entries (ref name → descriptor), sorted by ref name. */
export function makeImages() {
  const blobs = new Map();
  const baseTar = baseLayerTar();
  const entries = [];
  for (const image of IMAGES) {
    const manifests = image.platforms.map((p) => ({ ...platformImage(blobs, image, p, baseTar), platform: { ...p } }));
    const root = manifests.length === 1 ? { mediaType: manifests[0].mediaType, digest: manifests[0].digest, size: manifests[0].size } : addBlob(blobs, MEDIA.index, json({ schemaVersion: 2, mediaType: MEDIA.index, manifests }));
    const refName = image.byDigest ? `${image.ref}@${root.digest}` : image.ref;
    entries.push({ ...root, annotations: { [REF_NAME]: refName } });
  }
  entries.sort((a, b) => (a.annotations[REF_NAME] < b.annotations[REF_NAME] ? -1 : 1));
  return { blobs, entries };
}

/** Writes the layout into `dir` (its oci-layout, index.json and blobs/ replaced). */
export function writeImages(dir) {
  const { blobs, entries } = makeImages();
  rmSync(path.join(dir, 'blobs'), { recursive: true, force: true });
  mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const [digest, bytes] of [...blobs].sort(([a], [b]) => (a < b ? -1 : 1))) writeFileSync(path.join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes);
  writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}\n');
  writeFileSync(path.join(dir, 'index.json'), `${JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.index, manifests: entries })}\n`);
  return { blobs, entries };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), 'images'));
  const { blobs, entries } = writeImages(dir);
  const bytes = [...blobs.values()].reduce((n, b) => n + b.length, 0);
  for (const e of entries) console.log(`${e.digest}  ${e.annotations[REF_NAME]}`);
  console.log(`wrote ${dir}: ${entries.length} images, ${blobs.size} blobs, ${bytes} bytes`);
}
