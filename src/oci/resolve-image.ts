/**
 * The single image a reference stands for when a tool needs one filesystem (a catalog, a bundle):
 * the image itself, or for a multi-platform index its linux/amd64 image (else its first).
 */
import { ExitCode, FerryError } from '../errors.js';
import type { ImageLocation } from './copy/location.js';
import { parseManifest, type ImageManifest, type Manifest } from './manifest.js';
import { formatPlatform, selectPlatform } from './platform.js';
import type { Cancellable } from './store.js';

export interface ResolvedImage {
  /** What the reference names (an index stays an index). */
  top: Manifest;
  image: ImageManifest;
  /** The platform picked from an index. */
  platform?: string;
}

export async function resolveImage(location: ImageLocation, options: Cancellable = {}): Promise<ResolvedImage> {
  const raw = await location.store.getManifest(location.repository, location.reference, options);
  const top = parseManifest(raw.bytes, raw.mediaType, location.display);
  if (top.kind === 'image') return { top, image: top };
  const child = selectPlatform(top.manifests, { os: 'linux', architecture: 'amd64' }) ?? top.manifests[0];
  if (!child) throw new FerryError('INVALID_MANIFEST', `${location.display}: the index lists no images`, ExitCode.invalidInput);
  const childRaw = await location.store.getManifest(location.repository, child.digest, options);
  const image = parseManifest(childRaw.bytes, childRaw.mediaType, `${location.display}@${child.digest}`);
  if (image.kind !== 'image') throw new FerryError('INVALID_MANIFEST', `${location.display}: nested indexes are not supported here`, ExitCode.invalidInput);
  return { top, image, ...(child.platform ? { platform: formatPlatform(child.platform) } : {}) };
}
