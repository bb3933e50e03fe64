/**
 * `ferry inspect`: what an archive holds, from its first members only. The first volume's leading
 * tar headers are read (ferry-volume.json, ferry-archive.json, checksums.sha256 and the signature,
 * which pack always writes first), never the blobs, and the other volumes not at all: inspecting a
 * 40 GB archive on a DVD takes milliseconds. Whether the content matches is `verify`'s job.
 */
import path from 'node:path';
import { openTarMember, readTarIndex, type TarEntry } from '../../oci/archive/tar-index.js';
import { ArchiveError } from '../../oci/archive/tar-header.js';
import { NotFoundError } from '../../errors.js';
import { CHECKSUMS_FILE, METADATA_FILE, SIGNATURE_FILE, parseArchiveMetadata, type ArchiveMetadata } from '../archive-metadata.js';
import { archiveIdentity } from '../checksums.js';
import { loadPublicKey, publicKeyFingerprint, verifySignature } from '../signing.js';
import { VOLUME_HEADER_NAME, parseVolumeHeader } from '../volumes/volume-header.js';
import { volumeFileName } from '../volumes/plan-volumes.js';

export interface InspectOptions {
  /** Public key: check the signature of checksums.sha256 (not the members: that is verify). */
  publicKeyFile?: string;
}

export interface ArchiveInspection {
  archive: string;
  identity: string;
  /** False when checksums.sha256 does not hash to the identity the volume names. */
  identityMatches: boolean;
  volumes: { count: number; files: string[] };
  signature: 'unsigned' | 'signed' | 'valid' | 'invalid';
  signedBy?: string;
  metadata: ArchiveMetadata;
  totals: { packages: number; bundles: number; images: number; missing: number; bytes: number };
}

/** Members pack writes before any blob. */
const LEADING = 4;

export async function inspectArchive(first: string, options: InspectOptions = {}): Promise<ArchiveInspection> {
  const index = await readTarIndex(first, first, { limit: LEADING }).catch((err: unknown) => {
    if (err instanceof NotFoundError) throw new NotFoundError(`${first}: no such file`);
    throw err;
  });
  const entry = (name: string): TarEntry | undefined => index.entries.find((e) => e.name === name && e.type === 'file');
  const head = index.entries[0];
  if (head?.name !== VOLUME_HEADER_NAME) throw new ArchiveError(`${first}: not a ferry archive (its first member is not ${VOLUME_HEADER_NAME})`);
  const header = parseVolumeHeader(await read(first, head), first);
  if (header.volume !== 1) throw new ArchiveError(`${first} is volume ${header.volume} of ${header.volumes}: inspect the first volume`);

  const metadataEntry = entry(METADATA_FILE);
  const checksumsEntry = entry(CHECKSUMS_FILE);
  if (metadataEntry === undefined || checksumsEntry === undefined) {
    throw new ArchiveError(`${first}: ${METADATA_FILE} and ${CHECKSUMS_FILE} must be among the first members of the first volume (run ferry verify)`);
  }
  const metadata = parseArchiveMetadata(await read(first, metadataEntry), `${first}: ${METADATA_FILE}`);
  const checksums = await read(first, checksumsEntry);
  const identity = archiveIdentity(checksums);

  const signatureEntry = entry(SIGNATURE_FILE);
  let signature: ArchiveInspection['signature'] = signatureEntry === undefined ? 'unsigned' : 'signed';
  let signedBy: string | undefined;
  if (options.publicKeyFile !== undefined && signatureEntry !== undefined) {
    const publicKey = await loadPublicKey(options.publicKeyFile);
    signedBy = publicKeyFingerprint(publicKey);
    let valid = false;
    try {
      valid = verifySignature(checksums, await read(first, signatureEntry), publicKey, SIGNATURE_FILE);
    } catch {
      valid = false;
    }
    signature = valid ? 'valid' : 'invalid';
  }

  const numbered = /\.\d{3,}\.tar$/.test(first);
  const baseName = path.basename(first).replace(/(\.\d{3,})?\.tar$/, '');
  const files = Array.from({ length: header.volumes }, (_, i) => path.join(path.dirname(first), volumeFileName(baseName, i + 1, header.volumes, numbered)));
  const images = [metadata.catalog, ...metadata.images];
  return {
    archive: first,
    identity: header.archive,
    identityMatches: identity === header.archive,
    volumes: { count: header.volumes, files },
    signature,
    ...(signedBy ? { signedBy } : {}),
    metadata,
    totals: {
      packages: metadata.packages.length,
      bundles: metadata.packages.reduce((n, p) => n + p.bundles.length, 0),
      images: images.length,
      missing: metadata.missing.length,
      bytes: metadata.blobs.bytes,
    },
  };
}

/** A leading member, read whole; these are small (the metadata of a very large catalog: a few MB). */
async function read(file: string, entry: TarEntry): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of openTarMember(file, entry)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
