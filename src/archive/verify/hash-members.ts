/**
 * The sha256 of many archive members, spread over worker threads (one per core, at most four) when
 * there is enough to hash: a large archive is hashed at the speed of all cores, not one. Members go
 * to whichever worker is free next, largest first. Small archives are hashed here, without workers.
 * Each worker opens the volumes itself (read-only, headers only) and streams its members.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { VolumeSet } from '../volumes/read-volumes.js';

/** Below this many bytes the start of workers costs more than it saves. */
const PARALLEL_FROM = 16 * 1024 * 1024;
const MAX_WORKERS = 4;

export type HashWorkerRequest = { name: string } | { done: true };
export type HashWorkerMessage = { name: string; hex: string } | { bytes: number } | { error: string };

export interface HashOptions {
  signal?: AbortSignal;
  onBytes?: (bytes: number) => void;
}

/** sha256 hex of each of `names`, members of the archive whose first volume is `first` (opened as `set`). */
export async function hashMembers(first: string, set: VolumeSet, names: readonly string[], options: HashOptions = {}): Promise<Map<string, string>> {
  const sizes = new Map(names.map((n) => [n, set.member(n)?.size ?? 0]));
  const total = [...sizes.values()].reduce((a, b) => a + b, 0);
  const workers = Math.min(availableParallelism(), MAX_WORKERS, names.length);
  if (total < PARALLEL_FROM || workers < 2) return hashHere(set, names, options);
  const queue = [...names].sort((a, b) => sizes.get(b)! - sizes.get(a)!);
  const hashes = new Map<string, string>();
  await new Promise<void>((resolve, reject) => {
    const running = new Set<Worker>();
    let failed = false;
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      for (const w of running) void w.terminate();
      reject(err);
    };
    const onAbort = (): void => fail(options.signal!.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const next = (worker: Worker): void => {
      const name = queue.shift();
      worker.postMessage(name === undefined ? ({ done: true } satisfies HashWorkerRequest) : ({ name } satisfies HashWorkerRequest));
    };
    for (let i = 0; i < workers; i++) {
      const worker = new Worker(new URL('./hash-worker.js', import.meta.url), { workerData: { first } });
      running.add(worker);
      worker.on('message', (m: HashWorkerMessage) => {
        if ('bytes' in m) options.onBytes?.(m.bytes);
        else if ('error' in m) fail(new Error(m.error));
        else {
          hashes.set(m.name, m.hex);
          next(worker);
        }
      });
      worker.once('error', fail);
      worker.once('exit', () => {
        running.delete(worker);
        if (running.size === 0 && !failed) {
          options.signal?.removeEventListener('abort', onAbort);
          if (hashes.size === names.length) resolve();
          else fail(new Error(`hash workers ended with ${names.length - hashes.size} members not hashed`));
        }
      });
      next(worker);
    }
  });
  return hashes;
}

async function hashHere(set: VolumeSet, names: readonly string[], options: HashOptions): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  for (const name of names) {
    if (options.signal?.aborted) throw options.signal.reason;
    hashes.set(name, await hashMember(set, name, options.onBytes));
  }
  return hashes;
}

/** The sha256 (hex) of one logical member, streamed. */
export async function hashMember(set: VolumeSet, name: string, onBytes?: (n: number) => void): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of set.openMember(name)) {
    hash.update(chunk as Buffer);
    onBytes?.((chunk as Buffer).length);
  }
  return hash.digest('hex');
}
