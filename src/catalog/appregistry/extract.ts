/**
 * Extracting a downloaded (gzip) tar into an empty folder, one entry at a time as `tar`'s Parser
 * reads them. Every entry passes `planEntry` before anything is written for it; ferry writes the
 * files itself (never through tar's Unpack, which would strip unsafe paths silently), creates no
 * links on disk (an in-folder link becomes a copy of its target file), and caps what a blob may
 * unpack to. On any failure the caller removes the folder.
 */
import { constants as fsConstants, copyFileSync, createReadStream, createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { ArchiveError } from '../../oci/archive/tar-header.js';
import { planEntry, UnsafeEntryError } from './entry-policy.js';

/** Operator manifests are small; a blob unpacking to more is broken or hostile. */
export const MAX_EXTRACTED_BYTES = 1024 * 1024 * 1024;
export const MAX_ENTRIES = 100_000;

export interface ExtractedTree {
  /** Relative (`/`-separated) paths of the regular files of the tar, in archive order. */
  files: string[];
}

/**
 * Extracts `archive` (tar, gzip-compressed or not) into `dest`, which must exist and be empty.
 * Throws UnsafeEntryError / ArchiveError (exit 3) naming the offending entry, or the signal's reason.
 */
export async function extractTar(archive: string, dest: string, where: string, signal?: AbortSignal): Promise<ExtractedTree> {
  const files: string[] = [];
  const links: { path: string; target: string }[] = [];
  const seen = new Set<string>();
  const writes: Promise<void>[] = [];
  const open = new Set<WriteStream>();
  let entries = 0;
  let total = 0;
  let failure: unknown;

  const parser = new Parser({ strict: true });
  const source = createReadStream(archive);
  const parsed = new Promise<void>((resolve, reject) => {
    const fail = (err: unknown): void => {
      if (failure !== undefined) return;
      failure = err;
      source.destroy();
      for (const out of open) out.destroy();
      reject(err);
    };
    const onAbort = (): void => fail(signal!.reason);
    if (signal?.aborted) return fail(signal.reason);
    signal?.addEventListener('abort', onAbort, { once: true });

    parser.on('entry', (entry: ReadEntry) => {
      if (failure !== undefined) {
        entry.resume();
        return;
      }
      try {
        if (++entries > MAX_ENTRIES) throw new ArchiveError(`${where}: the blob has more than ${MAX_ENTRIES} entries`);
        const plan = planEntry({ path: entry.path, type: entry.type, size: entry.size, ...(entry.linkpath === undefined ? {} : { linkpath: entry.linkpath }) }, where);
        if (plan === undefined) {
          entry.resume();
          return;
        }
        if (plan.kind !== 'dir') {
          if (seen.has(plan.path)) throw new UnsafeEntryError(entry.path, 'appears twice in the archive', where);
          seen.add(plan.path);
        }
        const target = path.join(dest, ...plan.path.split('/'));
        if (plan.kind === 'dir') {
          mkdirSync(target, { recursive: true });
          entry.resume();
        } else if (plan.kind === 'link') {
          links.push({ path: plan.path, target: plan.target });
          entry.resume();
        } else {
          total += plan.size;
          if (total > MAX_EXTRACTED_BYTES) throw new ArchiveError(`${where}: the blob unpacks to more than ${MAX_EXTRACTED_BYTES} bytes`);
          mkdirSync(path.dirname(target), { recursive: true });
          files.push(plan.path);
          writes.push(writeEntry(entry, target, open, (err) => fail(wrapFsError(err, entry.path, where))));
        }
      } catch (err) {
        entry.resume();
        fail(wrapFsError(err, entry.path, where));
      }
    });
    parser.on('error', (err: Error) => fail(err instanceof ArchiveError ? err : new ArchiveError(`${where}: not a readable tar or gzip tar (${err.message})`)));
    parser.on('end', () => {
      signal?.removeEventListener('abort', onAbort);
      if (failure === undefined) resolve();
    });
    source.on('error', fail);
    source.pipe(parser);
  });

  // Wait for every started write to settle before reporting, failure or not, so the caller can
  // remove the folder knowing nothing is still being written into it.
  const outcome = await parsed.then(
    () => undefined,
    (err: unknown) => ({ err }),
  );
  await Promise.all(writes);
  if (outcome) throw outcome.err;
  if (failure !== undefined) throw failure;

  const regular = new Set(files);
  const linkTargets = new Map(links.map((l) => [l.path, l.target]));
  for (const link of links) {
    // Links are materialized as copies of the regular file they lead to (through other links too);
    // a link to a folder, to nothing, or in a loop is refused.
    const file = resolveLink(link.target, regular, linkTargets);
    if (file === undefined) {
      throw new UnsafeEntryError(link.path, `is a link to ${JSON.stringify(link.target)}, which is not a file of the archive (only links to files inside the package folder are accepted)`, where);
    }
    const to = path.join(dest, ...link.path.split('/'));
    try {
      mkdirSync(path.dirname(to), { recursive: true });
      copyFileSync(path.join(dest, ...file.split('/')), to, fsConstants.COPYFILE_EXCL);
    } catch (err) {
      throw wrapFsError(err, link.path, where);
    }
  }
  return { files };
}

/** The regular file `target` leads to, following links of the archive; undefined for anything else. */
function resolveLink(target: string, regular: ReadonlySet<string>, links: ReadonlyMap<string, string>): string | undefined {
  const seen = new Set<string>();
  let current = target;
  while (!regular.has(current)) {
    const next = links.get(current);
    if (next === undefined || seen.has(current)) return undefined;
    seen.add(current);
    current = next;
  }
  return current;
}

/** Pipes one entry's bytes to a new file; resolves (never rejects) once the file is closed. */
function writeEntry(entry: ReadEntry, file: string, open: Set<WriteStream>, fail: (err: unknown) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const out = createWriteStream(file, { flags: 'wx', mode: 0o644 });
    open.add(out);
    out.once('error', (err) => {
      entry.resume();
      fail(err);
    });
    out.once('close', () => {
      open.delete(out);
      resolve();
    });
    entry.pipe(out);
  });
}

function wrapFsError(err: unknown, entry: string, where: string): unknown {
  if (err instanceof ArchiveError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOTDIR' || e?.code === 'EEXIST' || e?.code === 'EISDIR') {
    return new UnsafeEntryError(entry, `conflicts with another entry of the archive (${e.code})`, where);
  }
  return err;
}
