/**
 * The push journal: what one archive's pushes to one target have done, so an interrupted push run
 * again skips the images it finished (after checking each is still there) and mounts the blobs it
 * had sent instead of sending them again. Kept in ferry's cache, one file per archive identity and
 * target (`<cache>/<identity>/push-<target hash>.jsonl`); the user never manages it.
 *
 * An append-only log of JSON lines, one per event as it happens (an image finished, a blob in
 * place, an image found gone), so a kill loses at most a line being written; a torn or unknown
 * line is ignored. The first line names the archive and target; a file naming others is ignored.
 */
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { digestHex } from '../../oci/digest.js';

export interface JournalTarget {
  to: string;
  maxComponents?: number;
}

export interface JournalEntry {
  destination: string;
  digest: string;
}

type Line =
  | { archive: string; target: JournalTarget }
  | { image: string; destination: string; digest: string }
  | { forget: string }
  | { blob: string; repository: string };

export class PushJournal {
  private appending: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    private readonly images: Map<string, JournalEntry>,
    private readonly blobs: Map<string, string>,
    private started: boolean,
    private readonly header: Line,
  ) {}

  /** The journal of `archive` (identity) at `target`; empty when there is none yet. */
  static async open(cacheDir: string, archive: string, target: JournalTarget): Promise<PushJournal> {
    const normalized: JournalTarget = { to: target.to, ...(target.maxComponents === undefined ? {} : { maxComponents: target.maxComponents }) };
    const key = createHash('sha256').update(JSON.stringify([normalized.to, normalized.maxComponents ?? null])).digest('hex').slice(0, 16);
    const file = path.join(archiveCacheDir(cacheDir, archive), `push-${key}.jsonl`);
    const images = new Map<string, JournalEntry>();
    const blobs = new Map<string, string>();
    const text = await readFile(file, 'utf8').catch(() => '');
    const lines = text.split('\n').flatMap((l): Line[] => {
      try {
        return l.trim() === '' ? [] : [JSON.parse(l) as Line];
      } catch {
        return []; // a line torn by a kill
      }
    });
    const head = lines[0];
    const ours = head !== undefined && 'archive' in head && head.archive === archive && head.target?.to === normalized.to && (head.target.maxComponents ?? null) === (normalized.maxComponents ?? null);
    if (ours) {
      for (const line of lines.slice(1)) {
        if ('image' in line && typeof line.destination === 'string' && typeof line.digest === 'string') images.set(line.image, { destination: line.destination, digest: line.digest });
        else if ('forget' in line) images.delete(line.forget);
        else if ('blob' in line && typeof line.repository === 'string') blobs.set(line.blob, line.repository);
      }
    }
    // A file of another archive or target (a hash collision, a hand edit) is started afresh.
    return new PushJournal(file, images, blobs, ours, { archive, target: normalized });
  }

  /** True when `source` was recorded as pushed to `destination` with `digest`. */
  done(source: string, destination: string, digest: string): boolean {
    const entry = this.images.get(source);
    return entry !== undefined && entry.destination === destination && entry.digest === digest;
  }

  /** Blobs recorded in place: digest → the repository that holds it. */
  blobHomes(): Record<string, string> {
    return Object.fromEntries(this.blobs);
  }

  record(source: string, entry: JournalEntry): Promise<void> {
    this.images.set(source, entry);
    return this.append({ image: source, ...entry });
  }

  recordBlob(digest: string, repository: string): Promise<void> {
    if (this.blobs.get(digest) === repository) return this.appending;
    this.blobs.set(digest, repository);
    return this.append({ blob: digest, repository });
  }

  /** Forgets an image recorded but no longer at the target. */
  forget(source: string): Promise<void> {
    this.images.delete(source);
    return this.append({ forget: source });
  }

  /** Appends are queued, one line each; the first (re)creates the file: its header and the state so far. */
  private append(line: Line): Promise<void> {
    this.appending = this.appending
      .catch(() => undefined)
      .then(async () => {
        if (!this.started) {
          await mkdir(path.dirname(this.file), { recursive: true });
          await appendFile(this.file, this.snapshot(), { flag: 'w' });
          this.started = true;
          return;
        }
        await appendFile(this.file, `${JSON.stringify(line)}\n`);
      });
    return this.appending;
  }

  /** The whole state as lines. */
  private snapshot(): string {
    const lines: Line[] = [this.header, ...[...this.images].map(([image, e]) => ({ image, ...e })), ...[...this.blobs].map(([blob, repository]) => ({ blob, repository }))];
    return lines.map((l) => `${JSON.stringify(l)}\n`).join('');
  }
}

/** `<cache>/<identity hex>`: what ferry keeps about one archive. */
export function archiveCacheDir(cacheDir: string, archive: string): string {
  return path.join(cacheDir, digestHex(archive));
}
