/**
 * Opens what push and serve read: a ferry archive (`NAME.tar` or its first volume `NAME.001.tar`,
 * read in place) or a folder `ferry unpack` wrote (an OCI layout with the archive's metadata and
 * checksums beside it). Either way: the archive identity, its metadata and an ImageStore of its images.
 *
 * An archive is checked as far as its small members go before it is used (the integrity chain, and
 * the metadata, oci-layout and index.json against the checksums; the blobs are checked as they are
 * read). A damaged archive is ArchiveDamagedError (exit 6) with verify's problems, whatever part of
 * the opening tripped over the damage.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { FerryError, NotFoundError } from '../../errors.js';
import { LayoutStore } from '../../oci/layout/layout-store.js';
import type { ImageStore } from '../../oci/store.js';
import { CHECKSUMS_FILE, METADATA_FILE, parseArchiveMetadata, type ArchiveMetadata } from '../archive-metadata.js';
import { archiveIdentity } from '../checksums.js';
import { ArchiveDamagedError } from '../archive-damaged.js';
import { readMember } from '../verify/read-member.js';
import { assertIntact, verifyArchive } from '../verify/verify-archive.js';
import { openVolumes, type VolumeSet } from '../volumes/read-volumes.js';
import { VolumeImageStore } from './volume-image-store.js';

const MAX_METADATA = 256 * 1024 * 1024;
const MAX_CHECKSUMS = 64 * 1024 * 1024;

export interface OpenedArchive {
  /** As given. */
  path: string;
  kind: 'archive' | 'folder';
  /** sha256 of checksums.sha256 (what every volume header names). */
  identity: string;
  metadata: ArchiveMetadata;
  /** The images, each named in it by its source reference. */
  store: ImageStore;
  /** The volume files (archives only). */
  files: string[];
  /** The volumes (archives only). */
  volumes?: VolumeSet;
}

export async function openArchive(input: string): Promise<OpenedArchive> {
  const info = await stat(input).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new NotFoundError(`${input}: no such archive or folder`);
    throw err;
  });
  if (info.isDirectory()) {
    const read = (name: string): Promise<Buffer> =>
      readFile(path.join(input, name)).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') throw new NotFoundError(`${input}: no ${name}: not a folder written by ferry unpack`);
        throw err;
      });
    const metadata = parseArchiveMetadata(await read(METADATA_FILE), path.join(input, METADATA_FILE));
    const identity = archiveIdentity(await read(CHECKSUMS_FILE));
    return { path: input, kind: 'folder', identity, metadata, store: await LayoutStore.open(input), files: [] };
  }
  const volumes = await openChecked(input);
  return readingDamaged(input, volumes, async () => {
    const metadata = parseArchiveMetadata(await readMember(volumes, METADATA_FILE, MAX_METADATA), `${input}: ${METADATA_FILE}`);
    const identity = archiveIdentity(await readMember(volumes, CHECKSUMS_FILE, MAX_CHECKSUMS));
    return { path: input, kind: 'archive', identity, metadata, store: await VolumeImageStore.open(volumes), files: [...volumes.files], volumes };
  });
}

/** The images of the archive `first` (the file or its first volume), checked as {@link openArchive} checks them: the `ferry-archive:` transport. */
export async function openArchiveStore(first: string): Promise<VolumeImageStore> {
  const volumes = await openChecked(first);
  return readingDamaged(first, volumes, () => VolumeImageStore.open(volumes));
}

/** The volumes, their integrity chain and describing members checked. */
async function openChecked(input: string): Promise<VolumeSet> {
  const volumes = await openVolumes(input);
  assertIntact(await verifyArchive(input, { volumes, chainOnly: true }), 'is damaged');
  return volumes;
}

/** Runs `read`; when it fails and the whole check finds damage, that is the answer (with its precise kind). */
async function readingDamaged<T>(input: string, volumes: VolumeSet, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (!(err instanceof FerryError) || err instanceof ArchiveDamagedError) throw err;
    assertIntact(await verifyArchive(input, { volumes }), 'is damaged');
    throw err;
  }
}
