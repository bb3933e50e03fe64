/**
 * Where a push puts each image of the archive: `ferry push --to REGISTRY/mirror` names them by
 * src/mirror/naming.ts (`127.0.0.1:5000/bench/img01@sha256:…` →
 * `REGISTRY/mirror/127-0-0-1-5000-bench-img01:<FNV tag>`), and the skopeo baseline copies to the
 * same names, so both are checked the same way.
 */
import type { BuiltImage } from '../copy/generate-layout.js';
import type { RegistryName } from '../copy/verify-copy.js';
import { mirrorReference } from '../../src/mirror/naming.js';
import { parseReference } from '../../src/oci/reference.js';

/** The namespace under the registry that every push of the benchmark targets. */
export const PUSH_NAMESPACE = 'mirror';

/** `--to` for a registry at `host` (127.0.0.1:PORT). */
export const pushTarget = (host: string): string => `${host}/${PUSH_NAMESPACE}`;

/** The destination repository (without the host) and tag of the image whose source reference is `ref`. */
export function destinationOf(ref: string, host: string): { repository: string; tag: string } {
  const dest = mirrorReference(parseReference(ref), { to: pushTarget(host) });
  return { repository: dest.path, tag: dest.tag! };
}

/** destinationOf for images named by their source reference (BenchArchive.images), as verifyRegistry wants it. */
export const destinationNames =
  (host: string): RegistryName =>
  (image: BuiltImage) =>
    destinationOf(image.name, host);
