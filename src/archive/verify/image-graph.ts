/**
 * The image part of `verify`: walks index.json and every manifest it reaches (manifests are read
 * again, they are small), checking that each referenced blob is a member with the descriptor's
 * size, that each manifest's bytes have the digest it is referenced by, and that every image the
 * metadata lists (and the catalog) is in index.json under its source reference with its digest.
 */
import { REF_NAME_ANNOTATION, type Descriptor } from '../../oci/descriptor.js';
import { digestHex, sha256Digest } from '../../oci/digest.js';
import { MAX_MANIFEST_SIZE, childrenOf, parseManifest } from '../../oci/manifest.js';
import { isManifestMediaType } from '../../oci/media-types.js';
import { METADATA_FILE, type ArchiveMetadata } from '../archive-metadata.js';
import type { VolumeSet } from '../volumes/read-volumes.js';
import { readMember } from './read-member.js';
import type { VerifyProblem } from './verify-archive.js';

const INDEX = 'index.json';

export interface GraphResult {
  images: number;
  blobs: number;
  problems: VerifyProblem[];
}

export async function checkImageGraph(set: VolumeSet, metadata: ArchiveMetadata | undefined): Promise<GraphResult> {
  const problems: VerifyProblem[] = [];
  const blobs = new Set<string>();
  if (set.member(INDEX) === undefined) {
    return { images: 0, blobs: 0, problems: [{ kind: 'MISSING_MEMBER', member: INDEX, message: `the archive has no ${INDEX}: it holds no images` }] };
  }
  let roots: Descriptor[];
  try {
    const index = parseManifest(await readMember(set, INDEX, MAX_MANIFEST_SIZE), undefined, `${INDEX} of the archive`);
    roots = [...childrenOf(index)];
  } catch (err) {
    return { images: 0, blobs: 0, problems: [{ kind: 'METADATA', member: INDEX, message: (err as Error).message }] };
  }

  const visited = new Set<string>();
  const visit = async (descriptor: Descriptor, from: string): Promise<void> => {
    const name = blobMember(descriptor.digest);
    if (name === undefined) {
      problems.push({ kind: 'MISSING_BLOB', message: `${from} references ${descriptor.digest}, which is not a sha256 digest ferry stores` });
      return;
    }
    const member = set.member(name);
    if (member === undefined) {
      problems.push({ kind: 'MISSING_BLOB', member: name, message: `${from} references blob ${descriptor.digest} (${descriptor.size} bytes), which the archive does not hold` });
      return;
    }
    if (member.size !== descriptor.size) {
      problems.push({ kind: 'SIZE_MISMATCH', member: name, volumes: member.volumes, message: `${from} references blob ${descriptor.digest} with size ${descriptor.size}, the archive's member has ${member.size} bytes` });
      return;
    }
    blobs.add(name);
    if (!isManifestMediaType(descriptor.mediaType) || visited.has(name)) return;
    visited.add(name);
    const bytes = await readMember(set, name, MAX_MANIFEST_SIZE);
    if (sha256Digest(bytes) !== descriptor.digest) return; // reported by the checksum pass
    let children: readonly Descriptor[];
    try {
      children = childrenOf(parseManifest(bytes, descriptor.mediaType, descriptor.digest));
    } catch (err) {
      problems.push({ kind: 'METADATA', member: name, volumes: member.volumes, message: `manifest ${descriptor.digest}: ${(err as Error).message}` });
      return;
    }
    for (const child of children) await visit(child, `manifest ${descriptor.digest}`);
  };

  const named = new Map<string, string>();
  for (const root of roots) {
    const ref = root.annotations?.[REF_NAME_ANNOTATION];
    if (ref !== undefined) named.set(ref, root.digest);
    await visit(root, `${INDEX} entry ${ref ?? root.digest}`);
  }

  if (metadata !== undefined) {
    for (const image of [metadata.catalog, ...metadata.images]) {
      const digest = named.get(image.source);
      if (digest === undefined) problems.push({ kind: 'METADATA', member: INDEX, message: `${METADATA_FILE} lists image ${image.source}, which ${INDEX} does not name` });
      else if (digest !== image.digest) problems.push({ kind: 'METADATA', member: INDEX, message: `image ${image.source}: ${INDEX} gives digest ${digest}, ${METADATA_FILE} gives ${image.digest}` });
    }
  }
  return { images: roots.length, blobs: blobs.size, problems };
}

function blobMember(digest: string): string | undefined {
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) return undefined;
  return `blobs/sha256/${digestHex(digest)}`;
}
