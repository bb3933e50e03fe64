/**
 * `ferry unpack ARCHIVE DIR`: the archive's content as plain files, for other tools. DIR becomes an
 * OCI image layout (`skopeo copy oci:DIR:<source reference> …`) with, beside it, the catalog
 * (`catalog/index.db` or `catalog/configs/`), the cluster manifests and mapping (`manifests/`), the
 * metadata, and `checksums.sha256` (`sha256sum -c` works in DIR) with its signature.
 *
 * Verifying as it goes: the checksums file must hash to the archive identity the volumes name (and
 * its signature check with `--key`); every member is streamed once from the volumes and checked
 * against its checksum (blobs also against their names) before it is kept. Everything is written
 * into a hidden folder beside DIR, renamed to DIR only when all is verified: a failed unpack leaves
 * nothing behind and never touches an existing DIR.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ExitCode, FerryError, UsageError } from '../../errors.js';
import { IntegrityError } from '../../oci/digest.js';
import { ArchiveError } from '../../oci/archive/tar-header.js';
import { CHECKSUMS_FILE, METADATA_FILE, SIGNATURE_FILE, parseArchiveMetadata } from '../archive-metadata.js';
import { archiveIdentity, parseChecksums, unsafePathReason } from '../checksums.js';
import { loadPublicKey, publicKeyFingerprint, verifySignature } from '../signing.js';
import { readMember } from '../verify/read-member.js';
import { openVolumes } from '../volumes/read-volumes.js';

export interface UnpackOptions {
  archive: string;
  dir: string;
  /** ed25519 public key file: the signature must check with it. */
  publicKeyFile?: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface UnpackResult {
  archive: string;
  dir: string;
  identity: string;
  signature: 'valid' | 'unsigned' | 'not-checked';
  files: number;
  bytes: number;
  /** The images, by the source references the layout names them with. */
  images: string[];
  catalog: { source: string; kind: 'sqlite' | 'fbc'; path: string };
}

export async function unpackArchive(options: UnpackOptions): Promise<UnpackResult> {
  const dir = path.resolve(options.dir);
  await refuseExisting(dir);
  const publicKey = options.publicKeyFile ? await loadPublicKey(options.publicKeyFile) : undefined;
  const set = await openVolumes(options.archive);

  // The integrity chain first: nothing is written from an archive whose checksums are not its own.
  const checksums = await readMember(set, CHECKSUMS_FILE, 64 * 1024 * 1024);
  const identity = archiveIdentity(checksums);
  if (identity !== set.archive) throw new IntegrityError(`${options.archive}: ${CHECKSUMS_FILE} has sha256 ${identity}, but the volumes name archive ${set.archive}: the checksums file was changed`);
  const signed = set.member(SIGNATURE_FILE) !== undefined;
  let signature: UnpackResult['signature'] = signed ? 'not-checked' : 'unsigned';
  if (publicKey !== undefined) {
    if (!signed) throw new FerryError('SIGNATURE', `${options.archive} is not signed, and --key was given`, ExitCode.integrity);
    if (!verifySignature(checksums, await readMember(set, SIGNATURE_FILE, 4096), publicKey, SIGNATURE_FILE)) {
      throw new FerryError('SIGNATURE', `${SIGNATURE_FILE} is not a valid signature of ${CHECKSUMS_FILE} by the key ${publicKeyFingerprint(publicKey)}`, ExitCode.integrity);
    }
    signature = 'valid';
  }
  const entries = parseChecksums(checksums, `${options.archive}: ${CHECKSUMS_FILE}`);
  for (const e of entries) {
    const reason = unsafePathReason(e.path);
    if (reason !== undefined) throw new ArchiveError(`${options.archive}: member ${JSON.stringify(e.path)}: unsafe path: ${reason}`);
    if (set.member(e.path) === undefined) throw new ArchiveError(`${options.archive}: ${CHECKSUMS_FILE} lists ${e.path}, which the archive does not hold`);
  }
  const metadata = parseArchiveMetadata(await readMember(set, METADATA_FILE, 256 * 1024 * 1024), `${options.archive}: ${METADATA_FILE}`);

  const staging = path.join(path.dirname(dir), `.${path.basename(dir)}.unpack-${process.pid}-${randomBytes(4).toString('hex')}`);
  const total = entries.reduce((n, e) => n + set.member(e.path)!.size, 0);
  let done = 0;
  try {
    await mkdir(staging, { recursive: true });
    await writeFile(path.join(staging, CHECKSUMS_FILE), set.openVerified(CHECKSUMS_FILE, identity), options.signal);
    if (signed) await writeFile(path.join(staging, SIGNATURE_FILE), set.openMember(SIGNATURE_FILE), options.signal);
    for (const e of entries) {
      if (options.signal?.aborted) throw options.signal.reason;
      const counted = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          options.onProgress?.((done += chunk.length), total);
          callback(null, chunk);
        },
      });
      await writeFile(path.join(staging, ...e.path.split('/')), set.openVerified(e.path, `sha256:${e.sha256}`), options.signal, counted);
    }
    await refuseExisting(dir);
    await rm(dir, { recursive: true, force: true }); // an empty folder only (refuseExisting)
    await rename(staging, dir);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  const catalogPath = metadata.catalog.kind === 'sqlite' ? 'catalog/index.db' : 'catalog/configs';
  return {
    archive: options.archive,
    dir,
    identity,
    signature,
    files: entries.length + 1 + (signed ? 1 : 0),
    bytes: total,
    images: [metadata.catalog.source, ...metadata.images.map((i) => i.source)],
    catalog: { source: metadata.catalog.source, kind: metadata.catalog.kind, path: path.join(dir, catalogPath) },
  };
}

/** DIR may be absent or an empty folder; anything else is the user's and stays untouched. */
async function refuseExisting(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) return;
  if (!info.isDirectory()) throw new UsageError(`${dir} exists and is not a folder: unpack writes a new folder`);
  if ((await readdir(dir)).length > 0) throw new UsageError(`${dir} is not empty: unpack writes into a new or empty folder`, ['choose another folder, or remove this one first']);
}

/** Streams into `file` (folders made), flushed to disk; the stream's own check fails it at its end. */
async function writeFile(file: string, stream: Readable, signal: AbortSignal | undefined, through?: Transform): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const out = createWriteStream(file, { flags: 'wx' });
  await (through ? pipeline(stream, through, out, signal ? { signal } : {}) : pipeline(stream, out, signal ? { signal } : {}));
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
