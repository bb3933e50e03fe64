/**
 * The `docker save` manifest.json written beside an OCI layout in an archive, so that
 * `docker load`, `podman load` and skopeo's `docker-archive:` read the same tar (as Docker 25+
 * writes it): one entry per image of index.json, its config and layers named by their
 * `blobs/sha256/<hex>` paths. An index contributes one child: linux/amd64 when present, else its
 * first image. Images with a missing blob, or whose config is not an image config, are left out.
 */
import { type Descriptor, REF_NAME_ANNOTATION } from '../descriptor.js';
import { digestHex } from '../digest.js';
import type { LayoutStore } from '../layout/layout-store.js';
import { parseManifest, type ImageManifest } from '../manifest.js';
import { IMAGE_MEDIA_TYPES, MediaType, isIndexMediaType } from '../media-types.js';
import { selectPlatform } from '../platform.js';
import { parseReference } from '../reference.js';

export interface DockerManifestEntry {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

const IMAGE_CONFIG_TYPES: readonly string[] = [MediaType.ociConfig, MediaType.dockerConfig];

/** The `blobs/sha256/<hex>` path of a digest inside a layout or archive. */
export function blobMemberName(digest: string): string {
  return `blobs/sha256/${digestHex(digest)}`;
}

/**
 * A ref name docker can use as a RepoTag: a reference with a tag and no digest
 * (`busybox:latest`, `quay.io/ns/app:v1`); a bare tag such as `v1` is not one.
 */
export function repoTagOf(refName: string | undefined): string | undefined {
  if (refName === undefined) return undefined;
  try {
    const ref = parseReference(refName, { defaultTag: false });
    return ref.tag !== undefined && ref.digest === undefined ? refName : undefined;
  } catch {
    return undefined;
  }
}

/** manifest.json entries for the images of `manifests` (index.json order), one per distinct image. */
export async function dockerManifestFor(layout: LayoutStore, manifests: readonly Descriptor[]): Promise<DockerManifestEntry[]> {
  const byImage = new Map<string, DockerManifestEntry>();
  for (const top of manifests) {
    const image = await imageOf(layout, top);
    if (image === undefined) continue;
    let entry = byImage.get(image.digest);
    if (entry === undefined) {
      entry = { Config: blobMemberName(image.config.digest), RepoTags: [], Layers: image.layers.map((l) => blobMemberName(l.digest)) };
      byImage.set(image.digest, entry);
    }
    const tag = repoTagOf(top.annotations?.[REF_NAME_ANNOTATION]);
    if (tag !== undefined && !entry.RepoTags.includes(tag)) entry.RepoTags.push(tag);
  }
  return [...byImage.values()];
}

/** The image an index.json entry stands for, when every blob of it is present. */
async function imageOf(layout: LayoutStore, top: Descriptor): Promise<ImageManifest | undefined> {
  let descriptor: Descriptor | undefined = top;
  if (isIndexMediaType(top.mediaType)) {
    const index = await readManifest(layout, top);
    if (index?.kind !== 'index') return undefined;
    const present: Descriptor[] = [];
    for (const child of index.manifests) if (IMAGE_MEDIA_TYPES.includes(child.mediaType) && (await layout.hasBlob('', child))) present.push(child);
    descriptor = selectPlatform(present, { os: 'linux', architecture: 'amd64' }) ?? present[0];
  }
  if (descriptor === undefined || !IMAGE_MEDIA_TYPES.includes(descriptor.mediaType)) return undefined;
  const image = await readManifest(layout, descriptor);
  if (image?.kind !== 'image' || !IMAGE_CONFIG_TYPES.includes(image.config.mediaType)) return undefined;
  for (const blob of [image.config, ...image.layers]) if (!(await layout.hasBlob('', blob))) return undefined;
  return image;
}

async function readManifest(layout: LayoutStore, descriptor: Descriptor) {
  if (!(await layout.hasBlob('', descriptor))) return undefined;
  const raw = await layout.getManifest('', descriptor.digest);
  return parseManifest(raw.bytes, raw.mediaType, `${layout.description}@${descriptor.digest}`);
}
