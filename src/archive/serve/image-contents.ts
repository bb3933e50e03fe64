/**
 * What one image reaches in a store: every manifest (the image's own, and an index's children, each
 * with its own media type) and every blob (configs, layers, and the manifests themselves, which
 * registries also serve as blobs). Manifests are read (and checked against their digests) once per
 * store, whichever images share them; blobs are only looked up.
 */
import type { Descriptor } from '../../oci/descriptor.js';
import { childrenOf, descriptorOf, parseManifest } from '../../oci/manifest.js';
import { isManifestMediaType } from '../../oci/media-types.js';
import type { ImageStore } from '../../oci/store.js';

export interface ImageContents {
  /** digest → descriptor whose mediaType is the manifest's own. */
  manifests: Map<string, Descriptor>;
  /** digest → descriptor, manifests included. */
  blobs: Map<string, Descriptor>;
  /** Blobs referenced but not in the store (or not of the referenced size). */
  missing: Descriptor[];
}

/** Walks images of one store, sharing what images have in common. */
export class ImageContentsReader {
  private readonly manifests = new Map<string, Promise<ImageContents>>();
  private readonly present = new Map<string, Promise<boolean>>();

  constructor(private readonly store: ImageStore) {}

  /** The contents of the manifest `digest` (read by digest, so its bytes are checked). */
  contentsOf(digest: string): Promise<ImageContents> {
    let contents = this.manifests.get(digest);
    if (contents === undefined) {
      contents = this.read(digest);
      this.manifests.set(digest, contents);
    }
    return contents;
  }

  private async read(digest: string): Promise<ImageContents> {
    const raw = await this.store.getManifest('', digest);
    const manifest = parseManifest(raw.bytes, raw.mediaType, `${this.store.description}@${digest}`);
    const self = descriptorOf(manifest);
    const result: ImageContents = { manifests: new Map([[digest, self]]), blobs: new Map([[digest, self]]), missing: [] };
    for (const child of childrenOf(manifest)) {
      if (isManifestMediaType(child.mediaType)) {
        merge(result, await this.contentsOf(child.digest));
      } else if (await this.has(child)) {
        if (!result.blobs.has(child.digest)) result.blobs.set(child.digest, { mediaType: child.mediaType, digest: child.digest, size: child.size });
      } else {
        result.missing.push(child);
      }
    }
    return result;
  }

  private has(descriptor: Descriptor): Promise<boolean> {
    const key = `${descriptor.digest}/${descriptor.size}`;
    let known = this.present.get(key);
    if (known === undefined) {
      known = this.store.hasBlob('', descriptor);
      this.present.set(key, known);
    }
    return known;
  }
}

/** Adds `from` into `into` (its missing blobs too, when `into` keeps a list of them). */
export function merge(into: Pick<ImageContents, 'manifests' | 'blobs'> & { missing?: Descriptor[] }, from: ImageContents): void {
  for (const [digest, d] of from.manifests) if (!into.manifests.has(digest)) into.manifests.set(digest, d);
  for (const [digest, d] of from.blobs) if (!into.blobs.has(digest)) into.blobs.set(digest, d);
  const missing = into.missing;
  if (missing !== undefined) for (const d of from.missing) if (!missing.some((m) => m.digest === d.digest)) missing.push(d);
}
