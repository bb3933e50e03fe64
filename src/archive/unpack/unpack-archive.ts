/**
 * `ferry unpack ARCHIVE DIR`: the archive's content as plain files, for other tools. DIR becomes an
 * OCI image layout (`skopeo copy oci:DIR:<source reference> …`) with, beside it, the catalog
 * (`catalog/index.db` or `catalog/configs/`), the cluster manifests and mapping (`manifests/`), the
 * metadata, and `checksums.sha256` (`sha256sum -c` works in DIR) with its signature.
 *
 * Verified as `ferry verify` verifies, by the same function: the integrity chain first (nothing is
 * written from an archive whose checksums are not its own, or whose signature does not check with
 * `--key`), then every member streamed once from the volumes into a hidden folder beside DIR while
 * it is hashed, then verify's whole check (checksums, blob names, members not listed or missing,
 * unsafe paths, index.json and the metadata against the blobs). Only an archive found intact gets
 * the folder renamed to DIR: a failed unpack leaves nothing behind and never touches an existing
 * DIR. DIR may be a symbolic link to an empty folder: the folder it points at is filled.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UsageError } from '../../errors.js';
import { METADATA_FILE, parseArchiveMetadata } from '../archive-metadata.js';
import { unsafePathReason } from '../checksums.js';
import type { HashOptions } from '../verify/hash-members.js';
import { readMember } from '../verify/read-member.js';
import { assertIntact, verifyArchive } from '../verify/verify-archive.js';
import { openVolumes, type VolumeSet } from '../volumes/read-volumes.js';

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
  const target = await folderToFill(dir);
  await refuseExisting(target, dir);
  const set = await openVolumes(options.archive);

  const staging = path.join(path.dirname(target), `.${path.basename(target)}.unpack-${process.pid}-${randomBytes(4).toString('hex')}`);
  let written = { files: 0, bytes: 0 };
  try {
    await mkdir(staging, { recursive: true });
    const report = await verifyArchive(options.archive, {
      volumes: set,
      ...(options.publicKeyFile ? { publicKeyFile: options.publicKeyFile } : {}),
      stopOnChainProblem: true,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      hash: async (s, names, hashOptions) => {
        const result = await writeMembers(staging, s, names, hashOptions);
        written = result.written;
        return result.hashes;
      },
    });
    assertIntact(report, 'is damaged; nothing was unpacked');
    const metadata = parseArchiveMetadata(await readMember(set, METADATA_FILE, 256 * 1024 * 1024), `${options.archive}: ${METADATA_FILE}`);
    await refuseExisting(target, dir);
    await rm(target, { recursive: true, force: true }); // an empty folder only (refuseExisting)
    await rename(staging, target);
    const catalogPath = metadata.catalog.kind === 'sqlite' ? 'catalog/index.db' : 'catalog/configs';
    return {
      archive: options.archive,
      dir,
      identity: report.identity!,
      signature: report.signature === 'valid' || report.signature === 'not-checked' ? report.signature : 'unsigned',
      files: written.files,
      bytes: written.bytes,
      images: [metadata.catalog.source, ...metadata.images.map((i) => i.source)],
      catalog: { source: metadata.catalog.source, kind: metadata.catalog.kind, path: path.join(dir, catalogPath) },
    };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

/** The folder unpack fills: DIR, or the folder DIR links to. */
async function folderToFill(dir: string): Promise<string> {
  const info = await lstat(dir).catch(() => undefined);
  if (info === undefined || !info.isSymbolicLink()) return dir;
  try {
    return await realpath(dir);
  } catch {
    throw new UsageError(`${dir} is a symbolic link to something that does not exist: unpack fills a new or empty folder`);
  }
}

/** The folder may be absent or empty; anything else is the user's and stays untouched. `given` names it in messages. */
async function refuseExisting(folder: string, given: string): Promise<void> {
  const info = await stat(folder).catch(() => undefined);
  if (info === undefined) return;
  const name = folder === given ? given : `${given} (→ ${folder})`;
  if (!info.isDirectory()) throw new UsageError(`${name} exists and is not a folder: unpack writes a new folder`);
  if ((await readdir(folder)).length > 0) throw new UsageError(`${name} is not empty: unpack writes into a new or empty folder`, ['choose another folder, or remove this one first']);
}

/**
 * Every member into `dir`, hashed as it is written (verify's hash step). A member whose name is
 * not a safe relative path is hashed but not written (verify reports it, and the folder goes).
 */
async function writeMembers(dir: string, set: VolumeSet, names: readonly string[], options: HashOptions): Promise<{ hashes: Map<string, string>; written: { files: number; bytes: number } }> {
  const hashes = new Map<string, string>();
  const written = { files: 0, bytes: 0 };
  for (const name of names) {
    if (options.signal?.aborted) throw options.signal.reason;
    const hash = createHash('sha256');
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        options.onBytes?.(chunk.length);
        callback(null, chunk);
      },
    });
    const size = set.member(name)?.size ?? 0;
    if (unsafePathReason(name) !== undefined) {
      await pipeline(set.openMember(name), hashing, new Writable({ write: (_chunk, _encoding, callback) => callback() }), options.signal ? { signal: options.signal } : {});
    } else {
      await writeFile(path.join(dir, ...name.split('/')), set.openMember(name), hashing, options.signal);
      written.files++;
      written.bytes += size;
    }
    hashes.set(name, hash.digest('hex'));
  }
  return { hashes, written };
}

/** Streams into `file` (folders made), flushed to disk. */
async function writeFile(file: string, stream: Readable, through: Transform, signal: AbortSignal | undefined): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const out = createWriteStream(file, { flags: 'wx' });
  await pipeline(stream, through, out, signal ? { signal } : {});
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
