/**
 * Checks that what a pack produced is right, throwing BrokenCopy when not:
 *
 * - a ferry archive (one file or its volumes): every volume names the archive identity and its
 *   place; the metadata lists every image and no missing one; index.json names each image by its
 *   normalized source reference with its digest; the blobs are exactly those of the images and
 *   the catalog, each with its size and hashing to its name; checksums.sha256 lists every other
 *   member with its real sha256, and its own sha256 is the identity; skopeo reads the first and
 *   last image and the catalog out of a single-file archive;
 * - skopeo's layout: every image under its reference with its digest, every blob hashing to its
 *   name (verifyLayout), the catalog too; and the tar made of it holds at least those bytes.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { expect } from '../copy/broken-copy.js';
import type { Layout } from '../copy/generate-layout.js';
import { skopeoRawDigest } from '../copy/run-tools.js';
import { verifyLayout } from '../copy/verify-copy.js';
import { REF_NAME_ANNOTATION, type Descriptor } from '../../src/oci/descriptor.js';
import { hashMember, listArchive, readMember, type ArchiveMember } from './read-archive.js';

/** One image the archive must hold: its normalized source reference and manifest digest. */
export interface ExpectedImage {
  ref: string;
  digest: string;
}

export interface ExpectedArchive {
  /** The related images (not the catalog). */
  images: ExpectedImage[];
  catalog: ExpectedImage;
  /** Every blob of the images and the catalog (manifests, configs, layers): digest → size. */
  blobs: Map<string, number>;
}

export interface ArchiveFacts {
  files: number;
  members: number;
  blobs: number;
  /** Sum of the archive files' sizes. */
  bytes: number;
}

const CHECKSUMS = 'checksums.sha256';
const SIGNATURE = 'checksums.sha256.sig';
const METADATA = 'ferry-archive.json';

interface Metadata {
  format?: string;
  catalog?: { reference?: string; digest?: string };
  images?: Array<{ source?: string; digest?: string }>;
  missing?: unknown[];
  invalid?: unknown[];
  blobs?: { count?: number; bytes?: number };
}

/** Checks a ferry archive written as `files` (one file, or volumes in order) whose identity ferry reported as `identity`. */
export async function verifyFerryArchive(files: readonly string[], identity: string, expected: ExpectedArchive, what: string): Promise<ArchiveFacts> {
  const label = (s: string): string => `${what}: ${s}`;
  const { members, volumeHeaders } = await listArchive(files);
  const byName = new Map(members.map((m) => [m.name, m]));
  const member = (name: string): ArchiveMember => {
    const m = byName.get(name);
    expect(m !== undefined, label(`no ${name} member`));
    return m!;
  };

  // Volumes: each names this archive and its place.
  for (const [i, h] of volumeHeaders.entries()) {
    const header = JSON.parse((await readMember(h)).toString('utf8')) as { format?: string; archive?: string; volume?: number; volumes?: number };
    expect(header.archive === identity && header.volume === i + 1 && header.volumes === files.length, label(`${files[i]}: volume header ${JSON.stringify({ ...header, members: undefined })}, expected volume ${i + 1} of ${files.length} of ${identity}`));
  }

  // The integrity chain: identity = sha256(checksums), which lists every other member with its real sha256.
  const checksums = await readMember(member(CHECKSUMS));
  expect(`sha256:${createHash('sha256').update(checksums).digest('hex')}` === identity, label(`checksums.sha256 does not hash to the identity ${identity}`));
  const listed = new Map<string, string>();
  for (const line of checksums.toString('utf8').split('\n').filter((l) => l !== '')) {
    const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    expect(m !== null, label(`checksums.sha256: malformed line "${line.slice(0, 120)}"`));
    listed.set(m![2]!, m![1]!);
  }
  const covered = members.filter((m) => m.name !== CHECKSUMS && m.name !== SIGNATURE);
  expect(listed.size === covered.length, label(`checksums.sha256 lists ${listed.size} members, the archive has ${covered.length} to list`));

  // Metadata and index.json.
  const metadata = JSON.parse((await readMember(member(METADATA))).toString('utf8')) as Metadata;
  expect(metadata.format === 'ferry-archive/v1', label(`metadata format ${metadata.format}`));
  expect((metadata.missing ?? []).length === 0 && (metadata.invalid ?? []).length === 0, label(`metadata lists missing or invalid images: ${JSON.stringify({ missing: metadata.missing, invalid: metadata.invalid }).slice(0, 1000)}`));
  expect(metadata.catalog?.digest === expected.catalog.digest, label(`metadata catalog digest ${metadata.catalog?.digest}, expected ${expected.catalog.digest}`));
  const metaImages = new Map((metadata.images ?? []).map((i) => [i.source, i.digest]));
  expect(metaImages.size === expected.images.length, label(`metadata lists ${metaImages.size} images, expected ${expected.images.length}`));
  for (const image of expected.images) expect(metaImages.get(image.ref) === image.digest, label(`metadata: ${image.ref} → ${metaImages.get(image.ref)}, expected ${image.digest}`));
  expect(metadata.blobs?.count === expected.blobs.size, label(`metadata blob count ${metadata.blobs?.count}, expected ${expected.blobs.size}`));

  const index = JSON.parse((await readMember(member('index.json'))).toString('utf8')) as { manifests?: Array<Descriptor & { annotations?: Record<string, string> }> };
  const named = new Map<string, string>();
  for (const d of index.manifests ?? []) {
    const ref = d.annotations?.[REF_NAME_ANNOTATION];
    expect(ref !== undefined && !named.has(ref), label(`index.json: an entry without a name or named twice (${ref})`));
    named.set(ref!, d.digest);
  }
  const wantedImages = [...expected.images, expected.catalog];
  expect(named.size === wantedImages.length, label(`index.json names ${named.size} images, expected ${wantedImages.length}`));
  for (const image of wantedImages) expect(named.get(image.ref) === image.digest, label(`index.json: ${image.ref} → ${named.get(image.ref) ?? 'absent'}, expected ${image.digest}`));
  member('oci-layout');
  member('catalog/index.db');

  // Blobs: exactly the expected ones, each its size, each hashing to its name (and to its checksums line).
  const blobMembers = members.filter((m) => m.name.startsWith('blobs/'));
  expect(blobMembers.length === expected.blobs.size, label(`${blobMembers.length} blobs in the archive, expected ${expected.blobs.size}`));
  for (const [digest, size] of expected.blobs) {
    const m = member(`blobs/sha256/${digest.slice('sha256:'.length)}`);
    expect(m.size === size, label(`blob ${digest} is ${m.size} bytes, expected ${size}`));
  }
  for (const m of covered) {
    const actual = await hashMember(m);
    expect(listed.get(m.name) === actual, label(`${m.name} hashes to ${actual}, checksums.sha256 says ${listed.get(m.name) ?? 'nothing'}`));
    if (m.name.startsWith('blobs/')) expect(m.name === `blobs/sha256/${actual}`, label(`${m.name} hashes to ${actual}`));
  }

  // An independent reader: skopeo, on a single-file archive.
  if (files.length === 1) {
    for (const image of new Set([expected.images[0]!, expected.images[expected.images.length - 1]!, expected.catalog])) {
      const digest = await skopeoRawDigest(`oci-archive:${files[0]}:${image.ref}`);
      expect(digest === image.digest, label(`skopeo inspect --raw oci-archive:…:${image.ref} → ${digest}, expected ${image.digest}`));
    }
  }
  let bytes = 0;
  for (const f of files) bytes += (await stat(f)).size;
  return { files: files.length, members: members.length + volumeHeaders.length, blobs: blobMembers.length, bytes };
}

/**
 * Checks skopeo's layout (every image of `layout` under its reference, blobs hashed; the catalog's
 * entry) and that the tar made of it is at least as large as the blobs it must hold.
 */
export async function verifySkopeoPack(dir: string, tarFile: string, layout: Layout, expected: ExpectedArchive, what: string): Promise<number> {
  const label = (s: string): string => `${what}: ${s}`;
  const refOf = new Map(expected.images.map((i) => [i.digest, i.ref]));
  const named: Layout = { ...layout, images: layout.images.map((i) => ({ ...i, name: refOf.get(i.manifest.digest)! })) };
  await verifyLayout(dir, named, what);
  const index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as { manifests?: Array<Descriptor & { annotations?: Record<string, string> }> };
  const catalog = (index.manifests ?? []).filter((d) => d.annotations?.[REF_NAME_ANNOTATION] === expected.catalog.ref).pop();
  expect(catalog?.digest === expected.catalog.digest, label(`index.json: ${expected.catalog.ref} → ${catalog?.digest ?? 'absent'}, expected ${expected.catalog.digest}`));
  for (const [digest, size] of expected.blobs) {
    const s = await stat(path.join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length))).catch(() => undefined);
    expect(s?.size === size, label(`blob ${digest} is ${s ? `${s.size} bytes` : 'missing'}, expected ${size}`));
  }
  let blobBytes = 0;
  for (const size of expected.blobs.values()) blobBytes += size;
  const tarBytes = (await stat(tarFile)).size;
  expect(tarBytes >= blobBytes, label(`${tarFile} is ${tarBytes} bytes, less than the ${blobBytes} bytes of blobs it must hold`));
  return tarBytes;
}
