/**
 * `pack --dry-run`: an image's size from its manifests alone. The manifest (and, for an index,
 * every platform's manifest) is fetched; configs and layers are only counted from the descriptors,
 * never downloaded. Each blob is reported with whether the pack cache already holds it.
 */
import type { ImageLocation } from '../../oci/copy/location.js';
import type { Descriptor } from '../../oci/descriptor.js';
import type { LayoutStore } from '../../oci/layout/layout-store.js';
import { childrenOf, parseManifest } from '../../oci/manifest.js';
import { isManifestMediaType } from '../../oci/media-types.js';
import { formatPlatform } from '../../oci/platform.js';
import type { Cancellable } from '../../oci/store.js';

export interface MeasuredImage {
  digest: string;
  mediaType: string;
  platforms: string[];
  /** Every blob the image reaches (manifests included): digest → size. */
  blobs: Map<string, number>;
}

export async function measureImage(source: ImageLocation, options: Cancellable = {}): Promise<MeasuredImage> {
  const blobs = new Map<string, number>();
  const platforms: string[] = [];
  const top = await source.store.getManifest(source.repository, source.reference, options);
  const visit = async (bytes: Buffer, mediaType: string, digest: string, where: string): Promise<void> => {
    blobs.set(digest, bytes.length);
    const manifest = parseManifest(bytes, mediaType, where);
    for (const child of childrenOf(manifest) as Descriptor[]) {
      if (isManifestMediaType(child.mediaType)) {
        if (manifest.kind === 'index' && child.platform) platforms.push(formatPlatform(child.platform));
        const raw = await source.store.getManifest(source.repository, child.digest, options);
        await visit(raw.bytes, raw.mediaType, raw.digest, `${source.display}@${child.digest}`);
      } else {
        blobs.set(child.digest, child.size);
      }
    }
  };
  await visit(top.bytes, top.mediaType, top.digest, source.display);
  return { digest: top.digest, mediaType: top.mediaType, platforms, blobs };
}

/** Of `blobs`, the count and bytes the cache already holds. */
export async function cachedPart(cache: LayoutStore, blobs: ReadonlyMap<string, number>): Promise<{ blobs: number; bytes: number }> {
  let count = 0;
  let bytes = 0;
  for (const [digest, size] of blobs) {
    if (await cache.hasBlob('', { mediaType: 'application/octet-stream', digest, size })) {
      count++;
      bytes += size;
    }
  }
  return { blobs: count, bytes };
}
