/**
 * Bundle images → bundle folders: each image's `/manifests` and `/metadata` are taken from its
 * layers (top layer wins, whiteouts honoured) into a folder of its own, which the loader reads
 * like any bundle folder; the image reference becomes the bundle's bundlepath (a related image).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ExitCode, FerryError } from '../../errors.js';
import { resolveImage } from '../../oci/resolve-image.js';
import { formatReference } from '../../oci/reference.js';
import type { StoreSet } from '../../oci/store-set.js';
import { parseImageName } from '../../oci/transport.js';
import { extractFolder } from './extract-from-layers.js';

/** Unpacks every bundle image under `workDir`; returns folder → image reference. */
export async function unpackBundleImages(refs: readonly string[], workDir: string, stores: StoreSet, options: { signal?: AbortSignal } = {}): Promise<Map<string, string>> {
  const folders = new Map<string, string>();
  let n = 0;
  for (const ref of refs) {
    const name = parseImageName(ref);
    const location = await stores.locate(name, 'source');
    const { image: manifest } = await resolveImage(location, options);
    const dir = path.resolve(workDir, `bundle-${String(++n).padStart(3, '0')}`);
    await mkdir(dir, { recursive: true });
    const manifests = await extractFolder(location, manifest, '/manifests', path.join(dir, 'manifests'), options);
    const metadata = await extractFolder(location, manifest, '/metadata', path.join(dir, 'metadata'), options);
    if (manifests.length === 0 || !metadata.some((f) => /^annotations\.ya?ml$/.test(f))) {
      throw new FerryError('NOT_A_BUNDLE', `${location.display} is not a bundle image: it needs /manifests and /metadata/annotations.yaml`, ExitCode.invalidInput);
    }
    folders.set(dir, name.transport === 'docker' ? formatReference(name.reference) : location.display);
  }
  return folders;
}
