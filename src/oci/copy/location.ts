/** An image's address inside a store: the store, the repository in it, and a tag or digest. */
import { isDigest } from '../digest.js';
import type { ImageStore } from '../store.js';

export interface ImageLocation {
  store: ImageStore;
  /** Repository inside the store (ignored by layouts and archives). */
  repository: string;
  /** A tag, a layout ref name, a digest, or '' (a layout's only image; a destination without a name). */
  reference: string;
  /** How the user wrote it, for messages and results. */
  display: string;
}

export function isDigestReference(location: ImageLocation): boolean {
  return isDigest(location.reference);
}
