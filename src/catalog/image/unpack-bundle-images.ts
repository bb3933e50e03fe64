/**
 * Bundle images → bundle folders: each image's `/manifests` and `/metadata` are taken from its
 * layers (top layer wins, whiteouts honoured) into a folder of its own, which the loader reads
 * like any bundle folder; the image reference becomes the bundle's bundlepath (a related image).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ExitCode, FerryError } from '../../errors.js';
import { parseManifest, type ImageManifest } from '../../oci/manifest.js';
import { selectPlatform } from '../../oci/platform.js';
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
    const raw = await location.store.getManifest(location.repository, location.reference, options);
    let manifest = parseManifest(raw.bytes, raw.mediaType, location.display);
    if (manifest.kind === 'index') {
      const child = selectPlatform(manifest.manifests, { os: 'linux', architecture: 'amd64' }) ?? manifest.manifests[0];
      if (!child) throw new FerryError('INVALID_MANIFEST', `${location.display}: the index lists no images`, ExitCode.invalidInput);
      const childRaw = await location.store.getManifest(location.repository, child.digest, options);
      manifest = parseManifest(childRaw.bytes, childRaw.mediaType, `${location.display}@${child.digest}`);
    }
    const dir = path.resolve(workDir, `bundle-${String(++n).padStart(3, '0')}`);
    await mkdir(dir, { recursive: true });
    const manifests = await extractFolder(location, manifest as ImageManifest, '/manifests', path.join(dir, 'manifests'), options);
    const metadata = await extractFolder(location, manifest as ImageManifest, '/metadata', path.join(dir, 'metadata'), options);
    if (manifests.length === 0 || !metadata.some((f) => /^annotations\.ya?ml$/.test(f))) {
      throw new FerryError('NOT_A_BUNDLE', `${location.display} is not a bundle image: it needs /manifests and /metadata/annotations.yaml`, ExitCode.invalidInput);
    }
    folders.set(dir, name.transport === 'docker' ? formatReference(name.reference) : location.display);
  }
  return folders;
}
