/**
 * What goes into the archive, in order, with each member's size and sha256 known before a byte is
 * written: the metadata, the checksums file (and its signature), the OCI layout of every image
 * kept (index.json naming each by its source reference; each blob once), and the catalog.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { digestHex, sha256Digest } from '../../oci/digest.js';
import { REF_NAME_ANNOTATION, type Descriptor } from '../../oci/descriptor.js';
import { OCI_LAYOUT_CONTENT, type LayoutStore } from '../../oci/layout/layout-store.js';
import { childrenOf, parseManifest } from '../../oci/manifest.js';
import { MediaType, isManifestMediaType } from '../../oci/media-types.js';

export type MemberContent = { kind: 'bytes'; bytes: Buffer } | { kind: 'file'; path: string };

export interface ArchiveMember {
  name: string;
  size: number;
  /** 64 lowercase hex. */
  sha256: string;
  content: MemberContent;
}

export function bytesMember(name: string, bytes: Buffer): ArchiveMember {
  return { name, size: bytes.length, sha256: digestHex(sha256Digest(bytes)), content: { kind: 'bytes', bytes } };
}

export async function fileMember(name: string, file: string): Promise<ArchiveMember> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return { name, size: (await stat(file)).size, sha256: hash.digest('hex'), content: { kind: 'file', path: file } };
}

/**
 * The layout part: `oci-layout`, `index.json` (one entry per root, named by its reference, sorted)
 * and every blob the roots reach (manifests, configs, layers), each once, sorted by digest. Also
 * each root's size: the bytes of the distinct blobs it reaches.
 */
export async function layoutMembers(cache: LayoutStore, roots: readonly string[]): Promise<{ members: ArchiveMember[]; index: Descriptor[]; sizes: Map<string, number> }> {
  const blobs = new Map<string, number>();
  const index: Descriptor[] = [];
  const sizes = new Map<string, number>();
  const visit = async (reference: string, reached: Map<string, number>): Promise<Descriptor> => {
    const raw = await cache.getManifest('', reference);
    reached.set(raw.digest, raw.bytes.length);
    for (const child of childrenOf(parseManifest(raw.bytes, raw.mediaType, reference))) {
      if (isManifestMediaType(child.mediaType)) {
        await visit(child.digest, reached);
      } else {
        reached.set(child.digest, child.size);
      }
    }
    return { mediaType: raw.mediaType, digest: raw.digest, size: raw.bytes.length };
  };
  for (const root of [...roots].sort()) {
    const reached = new Map<string, number>();
    index.push({ ...(await visit(root, reached)), annotations: { [REF_NAME_ANNOTATION]: root } });
    for (const [digest, size] of reached) blobs.set(digest, size);
    sizes.set(root, [...reached.values()].reduce((a, b) => a + b, 0));
  }
  const indexJson = Buffer.from(`${JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: index })}\n`, 'utf8');
  const members: ArchiveMember[] = [bytesMember('oci-layout', Buffer.from(OCI_LAYOUT_CONTENT, 'utf8')), bytesMember('index.json', indexJson)];
  for (const [digest, size] of [...blobs.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const hex = digestHex(digest);
    members.push({ name: `blobs/sha256/${hex}`, size, sha256: hex, content: { kind: 'file', path: cache.blobPath(digest) } });
  }
  return { members, index, sizes };
}

/** Every file under `dir` as members under `prefix`, sorted. */
export async function folderMembers(prefix: string, dir: string): Promise<ArchiveMember[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).sort();
  return Promise.all(files.map((f) => fileMember(`${prefix}/${path.relative(dir, f).split(path.sep).join('/')}`, f)));
}
