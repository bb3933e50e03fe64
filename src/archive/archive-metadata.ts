/**
 * `ferry-archive.json`, the archive's metadata (the first member after the volume header): what the
 * archive holds, written by pack and read by inspect, verify and push. Also the names of the
 * archive's fixed members.
 */
import { ArchiveError } from '../oci/archive/tar-header.js';
import type { PackageListing } from '../catalog/operations/list-catalog.js';

export const ARCHIVE_FORMAT = 'ferry-archive/v1';
export const METADATA_FILE = 'ferry-archive.json';
export const CHECKSUMS_FILE = 'checksums.sha256';
export const SIGNATURE_FILE = 'checksums.sha256.sig';
/** The cluster manifests (placeholder mirror) live under this folder of the archive. */
export const MANIFESTS_DIR = 'manifests';
/** The host the archive's cluster manifests name until push rewrites them for the real mirror. */
export const PLACEHOLDER_MIRROR = 'ferry-mirror.invalid';

export interface ArchivedImage {
  /** Normalized source reference; also the image's ref name in the archive's index.json. */
  source: string;
  digest: string;
  mediaType: string;
  /** Bytes of every distinct blob the image reaches (manifests, configs, layers). */
  size: number;
  platforms: string[];
  /** The bundles that name this image. */
  bundles: string[];
}

export interface ArchiveMetadata {
  format: typeof ARCHIVE_FORMAT;
  ferryVersion: string;
  created: string;
  /** With --packages: the kept packages and the digest of the image the catalog was pruned from (the source reference's). */
  catalog: ArchivedImage & { kind: 'sqlite' | 'fbc'; builtFrom?: string; pruned?: { packages: string[]; sourceDigest: string } };
  /** The packages the catalog holds (after --packages), their channels and bundles. */
  packages: PackageListing[];
  images: ArchivedImage[];
  missing: Array<{ source: string; bundles: string[]; error: { code: string; message: string } }>;
  invalid: Array<{ image: string; reason: string; bundles: string[] }>;
  blobs: { count: number; bytes: number };
  /** The --volume-size asked for (null: one file). */
  volumeSize: number | null;
  /**
   * Fingerprint of the public key whose private half signed the archive (`checksums.sha256.sig`),
   * null when pack did not sign it. Inside the checksums, so bound to the identity: a signature
   * removed from a signed archive is noticed without a key. Absent in archives of older ferry.
   */
  signedBy?: string | null;
}

export function encodeArchiveMetadata(metadata: ArchiveMetadata): Buffer {
  return Buffer.from(`${JSON.stringify(metadata, null, 2)}\n`, 'utf8');
}

/** Parses `ferry-archive.json` read from `where`, checking the format and the fields readers use. */
export function parseArchiveMetadata(bytes: Buffer, where: string): ArchiveMetadata {
  const bad = (why: string): ArchiveError => new ArchiveError(`${where}: invalid ${METADATA_FILE}: ${why}`);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw bad(`not JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('not a JSON object');
  const v = value as Record<string, unknown>;
  if (v.format !== ARCHIVE_FORMAT) throw bad(`format is ${JSON.stringify(v.format)}, this ferry reads "${ARCHIVE_FORMAT}"`);
  const catalog = v.catalog as Record<string, unknown> | undefined;
  if (typeof catalog !== 'object' || catalog === null || typeof catalog.source !== 'string' || typeof catalog.digest !== 'string') throw bad('"catalog" must name the catalog image (source, digest)');
  if (catalog.kind !== 'sqlite' && catalog.kind !== 'fbc') throw bad('"catalog.kind" must be "sqlite" or "fbc"');
  for (const key of ['images', 'missing', 'invalid', 'packages'] as const) if (!Array.isArray(v[key])) throw bad(`"${key}" must be an array`);
  if (v.signedBy !== undefined && v.signedBy !== null && (typeof v.signedBy !== 'string' || v.signedBy === '')) throw bad('"signedBy" must be a key fingerprint or null');
  (v.images as unknown[]).forEach((image, i) => {
    const im = image as Record<string, unknown> | null;
    if (typeof im !== 'object' || im === null || typeof im.source !== 'string' || typeof im.digest !== 'string') throw bad(`images[${i}] must have a source and a digest`);
  });
  return value as ArchiveMetadata;
}
