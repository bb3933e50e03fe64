/**
 * `ferry inspect`: what an archive holds, from its first members only. The first volume's leading
 * tar headers are read (ferry-volume.json, ferry-archive.json, checksums.sha256 and the signature,
 * which pack always writes first), never the blobs, and the other volumes not at all: inspecting a
 * 40 GB archive on a DVD takes milliseconds. Whether the content matches is `verify`'s job.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { openTarMember, readTarIndex, type TarEntry } from '../../oci/archive/tar-index.js';
import { ArchiveError } from '../../oci/archive/tar-header.js';
import { ExitCode, FerryError, NotFoundError } from '../../errors.js';
import { ArchiveDamagedError, type ArchiveProblem } from '../archive-damaged.js';
import { CHECKSUMS_FILE, METADATA_FILE, SIGNATURE_FILE, parseArchiveMetadata, type ArchiveMetadata } from '../archive-metadata.js';
import { parseChecksums } from '../checksums.js';
import { loadPublicKey } from '../signing.js';
import { checkChain, memberProblems } from '../verify/check-chain.js';
import { VOLUME_HEADER_NAME, parseVolumeHeader, type VolumeHeader } from '../volumes/volume-header.js';
import { volumeFileBytes, volumeFileName } from '../volumes/plan-volumes.js';

export interface InspectOptions {
  /** Public key: the checksums file must carry a signature that checks with it (not the members: that is verify). */
  publicKeyFile?: string;
}

export interface ArchiveInspection {
  archive: string;
  identity: string;
  /** Always true: a checksums file that does not hash to the identity the volume names is ARCHIVE_DAMAGED. */
  identityMatches: boolean;
  volumes: { count: number; files: string[] };
  /** valid: checked with --key (an invalid or missing signature is ARCHIVE_DAMAGED). */
  signature: 'unsigned' | 'signed' | 'valid';
  signedBy?: string;
  metadata: ArchiveMetadata;
  totals: { packages: number; bundles: number; images: number; missing: number; bytes: number };
}

/** Members pack writes before any blob: the volume header, metadata, checksums, signature, oci-layout, index.json. */
const LEADING = 6;
/** Leading members small enough to check against the checksums here. */
const DESCRIBING = [METADATA_FILE, 'oci-layout', 'index.json'];

/**
 * What inspect reads is checked as far as it goes, with verify's own checks: the first volume
 * holds ferry's headers only and is as long as its volume header says, the integrity chain holds
 * (check-chain.ts), and the metadata, oci-layout and index.json match the checksums. Any problem
 * is ARCHIVE_DAMAGED (exit 6), as from verify.
 */
export async function inspectArchive(first: string, options: InspectOptions = {}): Promise<ArchiveInspection> {
  const publicKey = options.publicKeyFile ? await loadPublicKey(options.publicKeyFile) : undefined;
  let leading: Leading;
  try {
    leading = await readLeading(first);
  } catch (err) {
    if (err instanceof ArchiveError) throw new ArchiveDamagedError(first, [{ kind: 'VOLUMES', message: err.message }]);
    throw err;
  }
  const { header, members } = leading;
  const metadataBytes = members.get(METADATA_FILE);
  const checksums = members.get(CHECKSUMS_FILE);
  if (metadataBytes === undefined || checksums === undefined) {
    throw new ArchiveDamagedError(first, [{ kind: 'MISSING_MEMBER', message: `${METADATA_FILE} and ${CHECKSUMS_FILE} must be among the first members of the first volume` }]);
  }
  let metadata: ArchiveMetadata;
  try {
    metadata = parseArchiveMetadata(metadataBytes, `${first}: ${METADATA_FILE}`);
  } catch (err) {
    if (!(err instanceof ArchiveError)) throw err;
    throw new ArchiveDamagedError(first, [{ kind: 'METADATA', member: METADATA_FILE, message: err.message }]);
  }
  const signatureBytes = members.get(SIGNATURE_FILE);
  const chain = checkChain({ checksums, identity: header.archive, ...(signatureBytes ? { signature: signatureBytes } : {}), metadata, ...(publicKey ? { publicKey } : {}) });
  const problems: ArchiveProblem[] = [...chain.problems];
  try {
    const listed = new Map(parseChecksums(checksums, CHECKSUMS_FILE).map((e) => [e.path, e.sha256]));
    for (const name of DESCRIBING) {
      const bytes = members.get(name);
      if (bytes !== undefined) problems.push(...memberProblems({ name, size: bytes.length, volumes: [1] }, createHash('sha256').update(bytes).digest('hex'), listed));
    }
  } catch (err) {
    if (!(err instanceof FerryError)) throw err;
    problems.push({ kind: 'CHECKSUMS', member: CHECKSUMS_FILE, message: err.message });
  }
  if (problems.length > 0) throw new ArchiveDamagedError(first, problems);

  const numbered = /\.\d{3,}\.tar$/.test(first);
  const baseName = path.basename(first).replace(/(\.\d{3,})?\.tar$/, '');
  const files = Array.from({ length: header.volumes }, (_, i) => path.join(path.dirname(first), volumeFileName(baseName, i + 1, header.volumes, numbered)));
  const images = [metadata.catalog, ...metadata.images];
  return {
    archive: first,
    identity: header.archive,
    identityMatches: true,
    volumes: { count: header.volumes, files },
    signature: chain.signature === 'valid' ? 'valid' : chain.signature === 'not-checked' ? 'signed' : 'unsigned',
    ...(chain.signedBy ? { signedBy: chain.signedBy } : {}),
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

interface Leading {
  header: VolumeHeader;
  /** The leading members' bytes, by name. */
  members: Map<string, Buffer>;
}

/** The first volume's header and leading members; throws ArchiveError when the volume is not whole. */
async function readLeading(first: string): Promise<Leading> {
  const index = await readTarIndex(first, first, { limit: LEADING, strict: true }).catch((err: unknown) => {
    if (err instanceof NotFoundError) throw new NotFoundError(`${first}: no such archive`);
    throw err;
  });
  const [head, ...entries] = index.entries;
  if (head?.name !== VOLUME_HEADER_NAME) throw new ArchiveError(`${first}: not a ferry archive (its first member is not ${VOLUME_HEADER_NAME})`);
  const header = parseVolumeHeader(await read(first, head), first);
  if (header.volume !== 1) throw new FerryError('INVALID_ARCHIVE', `${first} is volume ${header.volume} of ${header.volumes}: inspect the first volume`, ExitCode.invalidInput);
  // The volume is as long as its header says (a truncated or extended file is caught without reading it).
  const expected = volumeFileBytes(head.size, header.members);
  const actual = (await stat(first)).size;
  if (actual !== expected) throw new ArchiveError(`${first} is ${actual < expected ? 'truncated' : 'longer than its members'}: ${actual} bytes, its volume header lists members making ${expected}`);
  const members = new Map<string, Buffer>();
  for (const [i, entry] of entries.entries()) {
    const listed = header.members[i];
    if (listed === undefined || listed.name !== entry.name || listed.size !== entry.size) throw new ArchiveError(`${first}: tar member ${i + 2} is "${entry.name}" (${entry.size} bytes), its volume header lists ${listed === undefined ? 'nothing more' : `"${listed.name}" (${listed.size} bytes)`}`);
    if (READ.has(entry.name) && listed.piece === undefined && entry.size <= MAX_LEADING) members.set(entry.name, await read(first, entry));
  }
  return { header, members };
}

/** The leading members inspect reads (never a blob). */
const READ = new Set([METADATA_FILE, CHECKSUMS_FILE, SIGNATURE_FILE, ...DESCRIBING]);
/** A leading member larger than this is not read (index.json of a very large archive: a few MB). */
const MAX_LEADING = 64 * 1024 * 1024;

/** A leading member, read whole; these are small (the metadata of a very large catalog: a few MB). */
async function read(file: string, entry: TarEntry): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of openTarMember(file, entry)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
