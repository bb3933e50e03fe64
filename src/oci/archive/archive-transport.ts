/** The two ways to reach a tar archive as an ImageStore: read an existing one, or write a new one. */
import { ArchiveReadStore, type ArchiveKind } from './archive-reader.js';
import { ArchiveWriteStore } from './archive-writer.js';

export type { ArchiveKind } from './archive-reader.js';
export { ArchiveReadStore } from './archive-reader.js';
export { ArchiveWriteStore } from './archive-writer.js';

/** `oci-archive:FILE` (kind 'oci'), `docker-archive:FILE` ('docker'), or whichever FILE is ('auto'). */
export function openArchiveForRead(file: string, kind: ArchiveKind = 'auto'): Promise<ArchiveReadStore> {
  return ArchiveReadStore.open(file, kind);
}

/** A new `oci-archive:FILE`, written when the store is closed. */
export function createArchive(file: string): Promise<ArchiveWriteStore> {
  return ArchiveWriteStore.create(file);
}
