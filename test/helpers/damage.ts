/**
 * Damage done on purpose to files under test, and read-only media. Archives are rewritten with
 * node-tar (an independent tar reader and header writer), never with ferry's own tar code.
 */
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, openSync, readSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import { Header, list } from 'tar';
import { removeOnExit } from './cleanup.js';
import { tempDir } from './paths.js';

/** Flips (xor 0xff) the byte at `offset` of `file`. */
export function flipByte(file: string, offset: number): void {
  const fd = openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, offset);
    b[0] = b[0]! ^ 0xff;
    writeSync(fd, b, 0, 1, offset);
  } finally {
    closeSync(fd);
  }
}

const readOnlyDirs: string[] = [];
let restoreHooked = false;

/**
 * Copies of `files` in a fresh folder, the files and the folder made read-only (as on a DVD). They
 * are made writable again after the tests of the file, so the temp folder can be removed.
 */
export function readOnlyCopy(files: readonly string[]): string[] {
  const dir = tempDir('ferry-read-only-');
  removeOnExit(dir);
  const copies = files.map((f) => {
    const to = path.join(dir, path.basename(f));
    copyFileSync(f, to);
    chmodSync(to, 0o444);
    return to;
  });
  chmodSync(dir, 0o555);
  readOnlyDirs.push(dir);
  if (!restoreHooked) {
    restoreHooked = true;
    after(() => {
      for (const d of readOnlyDirs.splice(0)) chmodSync(d, 0o755);
    });
  }
  return copies;
}

export interface TarMember {
  name: string;
  data: Buffer;
}

/** Every member of the tar `file`, in order, read by node-tar (small test archives only). */
export async function readTarMembers(file: string): Promise<TarMember[]> {
  const members: Array<{ name: string; chunks: Buffer[] }> = [];
  await list({
    file,
    onReadEntry: (entry) => {
      const item = { name: entry.path, chunks: [] as Buffer[] };
      members.push(item);
      entry.on('data', (chunk: Buffer) => item.chunks.push(chunk));
    },
  });
  return members.map((m) => ({ name: m.name, data: Buffer.concat(m.chunks) }));
}

/** One pax record, `<length> <key>=<value>\n` (the length counting itself). */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
  return `${length}${body}`;
}

function block(header: Header): Buffer {
  const out = Buffer.alloc(512);
  header.encode(out, 0);
  return out;
}

function padded(data: Buffer): Buffer {
  const out = Buffer.alloc(Math.ceil(data.length / 512) * 512);
  data.copy(out);
  return out;
}

/** Writes `members` as a ustar tar (node-tar headers; a pax header for a name ustar cannot hold), optionally after a pax global header holding `globalHeader`. */
export function writeTarMembers(file: string, members: readonly TarMember[], globalHeader?: Record<string, string>): void {
  const parts: Buffer[] = [];
  if (globalHeader !== undefined) {
    const records = Buffer.from(Object.entries(globalHeader).map(([k, v]) => paxRecord(k, v)).join(''), 'utf8');
    parts.push(block(new Header({ path: 'pax_global_header', type: 'GlobalExtendedHeader', size: records.length, mode: 0o644, mtime: new Date(0) })), padded(records));
  }
  for (const m of members) {
    const header = new Header({ path: m.name, type: 'File', size: m.data.length, mode: 0o644, uid: 0, gid: 0, mtime: new Date(0) });
    const encoded = block(header);
    if (header.needPax) {
      // A name ustar cannot hold goes into a pax extended header before the member, as tar writes it.
      const records = Buffer.from(paxRecord('path', m.name), 'utf8');
      parts.push(block(new Header({ path: 'PaxHeader/long', type: 'ExtendedHeader', size: records.length, mode: 0o644, mtime: new Date(0) })), padded(records));
    }
    parts.push(encoded, padded(m.data));
  }
  parts.push(Buffer.alloc(1024));
  writeFileSync(file, Buffer.concat(parts));
}

export interface ArchiveRewrite {
  /** New content by member name (a new name is added at the end); undefined removes the member. */
  members?: Record<string, Buffer | undefined>;
  /** Members left out of the recomputed checksums.sha256 (they stay in the tar). */
  unlisted?: string[];
  /** A pax global header written before everything else. */
  globalHeader?: Record<string, string>;
}

/**
 * Rewrites a single-file ferry archive in place, consistently, as someone who knows the format
 * would: members replaced, removed or added, `checksums.sha256` recomputed (sorted, sha256sum
 * form), the identity (its sha256) and the volume header's member list written again. The
 * signature is kept as it is (so it no longer checks unless the checksums are unchanged).
 * Returns the new identity.
 */
export async function rewriteArchive(file: string, rewrite: ArchiveRewrite): Promise<string> {
  const edits = rewrite.members ?? {};
  let members = (await readTarMembers(file)).filter((m) => m.name !== 'ferry-volume.json');
  members = members.filter((m) => !(m.name in edits) || edits[m.name] !== undefined).map((m) => (edits[m.name] ? { name: m.name, data: edits[m.name]! } : m));
  for (const [name, data] of Object.entries(edits)) if (data !== undefined && !members.some((m) => m.name === name)) members.push({ name, data });

  const chain = new Set(['checksums.sha256', 'checksums.sha256.sig', ...(rewrite.unlisted ?? [])]);
  const lines = members
    .filter((m) => !chain.has(m.name))
    .map((m) => ({ name: m.name, hex: createHash('sha256').update(m.data).digest('hex') }))
    .sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)))
    .map((e) => `${e.hex}  ${e.name}\n`);
  const checksums = Buffer.from(lines.join(''), 'utf8');
  members = members.map((m) => (m.name === 'checksums.sha256' ? { name: m.name, data: checksums } : m));
  const identity = `sha256:${createHash('sha256').update(checksums).digest('hex')}`;
  const header = { format: 'ferry-volume/v1', archive: identity, volume: 1, volumes: 1, members: members.map((m) => ({ name: m.name, size: m.data.length })) };
  writeTarMembers(file, [{ name: 'ferry-volume.json', data: Buffer.from(`${JSON.stringify(header)}\n`, 'utf8') }, ...members], rewrite.globalHeader);
  return identity;
}
