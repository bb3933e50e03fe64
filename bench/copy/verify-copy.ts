/**
 * Checks that a copy is right, throwing BrokenCopy when not: a registry holds every image of a
 * layout, an OCI layout written by a copy holds every image and blob, and ferry's own JSON account
 * agrees.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { TestRegistry } from '../../test/helpers/registry.js';
import { expect } from './broken-copy.js';
import { MiB } from './byte-units.js';
import type { BuiltImage, Layout } from './generate-layout.js';
import { skopeoRawDigest, type FerryEnvelope } from './run-tools.js';
import { MediaType } from '../../src/oci/media-types.js';
import { REF_NAME_ANNOTATION, type Descriptor } from '../../src/oci/descriptor.js';

const READ_CHUNK = 4 * MiB;

interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  sha256: string;
  bytes: number;
}

/** One request to a plain-HTTP registry; the body is hashed as it streams (never held). */
function request(method: 'GET' | 'HEAD', url: string, accept?: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: accept ? { Accept: accept } : {} }, (res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      res.on('data', (d: Buffer) => {
        hash.update(d);
        bytes += d.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, sha256: `sha256:${hash.digest('hex')}`, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function fileDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** Where an image sits in a registry: its repository (no host) and tag. */
export type RegistryName = (image: BuiltImage) => { repository: string; tag: string };

/** The copy benchmark's names: `bench/NAME:1`. */
const benchName: RegistryName = (image) => ({ repository: `bench/${image.name}`, tag: '1' });

/** Manifest requests accept both image manifest types (a catalog image may be either). */
const MANIFEST_ACCEPT = [MediaType.ociManifest, MediaType.dockerManifest].join(', ');

/**
 * Checks a registry holds every image (by default as `bench/NAME:1`, or where `nameOf` says):
 * manifest digest by tag, every blob's presence and size; the bytes of all blobs of the last
 * image; `skopeo inspect --raw` of the first and last image.
 */
export async function verifyRegistry(registry: TestRegistry, layout: Pick<Layout, 'images'>, what: string, nameOf: RegistryName = benchName): Promise<void> {
  const label = (s: string): string => `${what}: ${s}`;
  for (const image of layout.images) {
    const { repository: repo, tag } = nameOf(image);
    const m = await request('HEAD', `${registry.url}/v2/${repo}/manifests/${tag}`, MANIFEST_ACCEPT);
    expect(m.status === 200, label(`${repo}:${tag} is missing (HEAD manifest → ${m.status})`));
    expect(m.headers['docker-content-digest'] === image.manifest.digest, label(`${repo}:${tag} has digest ${m.headers['docker-content-digest']}, expected ${image.manifest.digest}`));
    for (const blob of [image.config, ...image.layers]) {
      const b = await request('HEAD', `${registry.url}/v2/${repo}/blobs/${blob.digest}`);
      expect(b.status === 200, label(`${repo} lacks blob ${blob.digest} (HEAD → ${b.status})`));
      expect(Number(b.headers['content-length']) === blob.size, label(`${repo} blob ${blob.digest} is ${b.headers['content-length']} bytes, expected ${blob.size}`));
    }
  }
  const last = layout.images[layout.images.length - 1]!;
  const { repository: repo, tag } = nameOf(last);
  const m = await request('GET', `${registry.url}/v2/${repo}/manifests/${tag}`, MANIFEST_ACCEPT);
  expect(m.sha256 === last.manifest.digest, label(`${repo}:${tag} manifest bytes hash to ${m.sha256}`));
  for (const blob of [last.config, ...last.layers]) {
    const b = await request('GET', `${registry.url}/v2/${repo}/blobs/${blob.digest}`);
    expect(b.status === 200 && b.sha256 === blob.digest && b.bytes === blob.size, label(`${repo} blob ${blob.digest}: GET → ${b.status}, ${b.bytes} bytes hashing to ${b.sha256}`));
  }
  for (const image of new Set([layout.images[0]!, last])) {
    const name = nameOf(image);
    const ref = `docker://${registry.host}/${name.repository}:${name.tag}`;
    const digest = await skopeoRawDigest(ref, ['--tls-verify=false']);
    expect(digest === image.manifest.digest, label(`skopeo inspect --raw ${ref} → ${digest}, expected ${image.manifest.digest}`));
  }
}

/**
 * Checks an OCI layout written by a copy: index.json names every image with its digest, every blob
 * is there with its size, every distinct blob hashes to its digest; `skopeo inspect --raw` of the
 * first and last image.
 */
export async function verifyLayout(dir: string, layout: Layout, what: string): Promise<void> {
  const label = (s: string): string => `${what}: ${s}`;
  const index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as { manifests?: Array<Descriptor & { annotations?: Record<string, string> }> };
  const blobPath = (digest: string): string => path.join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  const wanted = new Map<string, number>();
  for (const image of layout.images) {
    const entry = (index.manifests ?? []).filter((d) => d.annotations?.[REF_NAME_ANNOTATION] === image.name).pop();
    expect(entry !== undefined, label(`index.json does not name ${image.name}`));
    expect(entry!.digest === image.manifest.digest, label(`${image.name} has digest ${entry!.digest}, expected ${image.manifest.digest}`));
    for (const blob of [image.manifest, image.config, ...image.layers]) wanted.set(blob.digest, blob.size);
  }
  for (const [digest, size] of wanted) {
    const s = await stat(blobPath(digest)).catch(() => undefined);
    expect(s?.isFile() === true && s.size === size, label(`blob ${digest} is ${s ? `${s.size} bytes` : 'missing'}, expected ${size} bytes`));
    const actual = await fileDigest(blobPath(digest));
    expect(actual === digest, label(`blob ${digest} hashes to ${actual}`));
  }
  const last = layout.images[layout.images.length - 1]!;
  for (const image of new Set([layout.images[0]!, last])) {
    const digest = await skopeoRawDigest(`oci:${dir}:${image.name}`);
    expect(digest === image.manifest.digest, label(`skopeo inspect --raw oci:${dir}:${image.name} → ${digest}, expected ${image.manifest.digest}`));
  }
}

/** ferry's own account must agree: every image copied, with the source digest. */
export function verifyFerryEnvelope(envelope: FerryEnvelope, layout: Layout): void {
  const r = envelope.result!;
  if (r.images !== undefined) {
    expect((r.failed ?? []).length === 0, `ferry reported failures: ${JSON.stringify(r.failed)}`);
    expect(r.images.length === layout.images.length, `ferry copied ${r.images.length} images, expected ${layout.images.length}`);
    const want = new Set(layout.images.map((i) => i.manifest.digest));
    for (const image of r.images) expect(want.has(image.digest), `ferry reports digest ${image.digest} for ${image.source}`);
  } else {
    expect(r.digest === layout.images[0]!.manifest.digest, `ferry reports digest ${r.digest}, expected ${layout.images[0]!.manifest.digest}`);
  }
}
