/**
 * A small, independent reader of what `ferry pack` wrote, for checking it: the tar members of one
 * archive file or of all its volumes, found by seeking from header to header (no data is read to
 * list them), with the pieces of a member split over volumes joined back in order. Written apart
 * from src/ on purpose, so a bug in ferry's tar code cannot hide itself. Only what ferry writes is
 * accepted (POSIX ustar regular files, names up to 100 characters or with a ustar prefix); anything
 * else is a BrokenCopy.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { expect } from '../copy/broken-copy.js';
import { MiB } from '../copy/byte-units.js';

const BLOCK = 512;
const VOLUME_HEADER = 'ferry-volume.json';
const PIECE = /^(.+)\.ferry-piece-(\d+)-of-(\d+)$/;

/** Where (part of) a member's bytes lie: `size` bytes from `offset` in `file`. */
export interface MemberPart {
  file: string;
  offset: number;
  size: number;
}

export interface ArchiveMember {
  /** The logical name (piece suffixes removed). */
  name: string;
  size: number;
  /** One part for a whole member; one per piece, in order, for a member split over volumes. */
  parts: MemberPart[];
}

export interface ArchiveListing {
  /** Logical members in archive order, each once (the per-volume `ferry-volume.json` apart). */
  members: ArchiveMember[];
  /** The `ferry-volume.json` of each file, in file order. */
  volumeHeaders: MemberPart[];
}

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? raw.length : end).toString('utf8');
}

function octal(block: Buffer, start: number, length: number, what: string): number {
  const text = field(block, start, length).trim();
  expect(/^[0-7]+$/.test(text), `${what}: not an octal number: "${text}"`);
  return parseInt(text, 8);
}

/** Lists the tar members of `file` with their data offsets; checks header checksums and the end-of-archive blocks. */
async function listTar(file: string): Promise<Array<{ name: string } & MemberPart>> {
  const handle = await open(file, 'r');
  try {
    const fileSize = (await handle.stat()).size;
    const block = Buffer.alloc(BLOCK);
    const entries: Array<{ name: string } & MemberPart> = [];
    for (let pos = 0; ; ) {
      expect(pos + BLOCK <= fileSize, `${file}: ends at byte ${fileSize} without the end-of-archive blocks`);
      await handle.read(block, 0, BLOCK, pos);
      if (block.every((b) => b === 0)) {
        await handle.read(block, 0, BLOCK, pos + BLOCK);
        expect(block.every((b) => b === 0), `${file}: a zero block at ${pos} not followed by a second one`);
        break;
      }
      const where = `${file} (header at ${pos})`;
      let sum = 0;
      for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
      expect(octal(block, 148, 8, where) === sum, `${where}: header checksum mismatch`);
      expect(block.subarray(257, 263).toString('latin1') === 'ustar\0', `${where}: not a POSIX ustar header`);
      const type = String.fromCharCode(block[156]!);
      expect(type === '0' || type === '\0', `${where}: member type "${type}", expected a regular file`);
      const prefix = field(block, 345, 155);
      const name = prefix === '' ? field(block, 0, 100) : `${prefix}/${field(block, 0, 100)}`;
      const size = octal(block, 124, 12, where);
      entries.push({ name, file, offset: pos + BLOCK, size });
      pos += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    }
    return entries;
  } finally {
    await handle.close();
  }
}

/** Lists an archive (one file, or its volumes in order), joining pieces; every name once. */
export async function listArchive(files: readonly string[]): Promise<ArchiveListing> {
  const members: ArchiveMember[] = [];
  const byName = new Map<string, ArchiveMember & { pieces?: number }>();
  const volumeHeaders: MemberPart[] = [];
  for (const file of files) {
    const entries = await listTar(file);
    expect(entries[0]?.name === VOLUME_HEADER, `${file}: the first member is ${entries[0]?.name ?? 'missing'}, expected ${VOLUME_HEADER}`);
    volumeHeaders.push(entries[0]!);
    for (const e of entries.slice(1)) {
      const piece = PIECE.exec(e.name);
      const name = piece ? piece[1]! : e.name;
      const part: MemberPart = { file: e.file, offset: e.offset, size: e.size };
      const known = byName.get(name);
      if (piece) {
        const index = Number(piece[2]);
        const of = Number(piece[3]);
        expect(index === (known?.parts.length ?? 0) + 1 && (known === undefined || known.pieces === of), `${e.name} in ${file}: piece out of order`);
        if (known) {
          known.parts.push(part);
          known.size += e.size;
        } else {
          const m = { name, size: e.size, parts: [part], pieces: of };
          byName.set(name, m);
          members.push(m);
        }
      } else {
        expect(known === undefined, `${name} appears twice in the archive`);
        const m = { name, size: e.size, parts: [part] };
        byName.set(name, m);
        members.push(m);
      }
    }
  }
  for (const m of byName.values()) expect(m.pieces === undefined || m.parts.length === m.pieces, `${m.name}: ${m.parts.length} of ${m.pieces} pieces present`);
  return { members: members.map(({ name, size, parts }) => ({ name, size, parts })), volumeHeaders };
}

/** A small member's bytes. */
export async function readMember(member: ArchiveMember | MemberPart): Promise<Buffer> {
  const parts = 'parts' in member ? member.parts : [member];
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const handle = await open(p.file, 'r');
    try {
      const buf = Buffer.alloc(p.size);
      let done = 0;
      while (done < p.size) {
        const { bytesRead } = await handle.read(buf, done, p.size - done, p.offset + done);
        expect(bytesRead > 0, `${p.file}: short read at ${p.offset + done}`);
        done += bytesRead;
      }
      chunks.push(buf);
    } finally {
      await handle.close();
    }
  }
  return Buffer.concat(chunks);
}

/** sha256 (hex) of a member's bytes, streamed across its parts. */
export async function hashMember(member: ArchiveMember): Promise<string> {
  const hash = createHash('sha256');
  for (const p of member.parts) {
    if (p.size === 0) continue;
    for await (const chunk of createReadStream(p.file, { start: p.offset, end: p.offset + p.size - 1, highWaterMark: 4 * MiB })) hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}
