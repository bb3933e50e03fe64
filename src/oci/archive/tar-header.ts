/**
 * The 512-byte tar header block (POSIX ustar, with the GNU and pax extensions a reader meets):
 * decoding a block into its fields, and encoding the deterministic ustar headers ferry writes
 * (uid/gid 0, empty user and group names, a fixed mtime, no pax times).
 */
import { ExitCode, FerryError } from '../../errors.js';

export const TAR_BLOCK = 512;

/** The largest size the 11-digit octal field holds (8 GiB - 1); larger sizes use base-256. */
const MAX_OCTAL_SIZE = 0o77777777777;

export class ArchiveError extends FerryError {
  constructor(message: string, code = 'INVALID_ARCHIVE') {
    super(code, message, ExitCode.invalidInput);
    this.name = 'ArchiveError';
  }
}

/** The fields of one header block, as written (names not yet joined with prefix or pax records). */
export interface RawTarHeader {
  name: string;
  mode: number;
  size: number;
  mtime: number;
  /** The type flag character; '\0' (old tars) is normalized to '0'. */
  typeflag: string;
  linkname: string;
  /** True for POSIX ustar (`ustar\0`); false for old GNU (`ustar  \0`) and v7 headers. */
  ustar: boolean;
  /** The ustar prefix field (only meaningful when `ustar` is true). */
  prefix: string;
}

/** Rounds a byte count up to whole blocks. */
export function padToBlock(size: number): number {
  return Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
}

export function isZeroBlock(block: Uint8Array): boolean {
  for (const b of block) if (b !== 0) return false;
  return true;
}

/** Decodes a header block; throws ArchiveError when its checksum does not match (not a tar). */
export function parseTarHeader(block: Buffer, where: string): RawTarHeader {
  const stored = parseNumber(block.subarray(148, 156), `${where}: header checksum`);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < TAR_BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  if (stored !== unsigned && stored !== signed) throw new ArchiveError(`${where}: not a tar archive (header checksum mismatch)`);
  const magic = block.subarray(257, 263).toString('latin1');
  const ustar = magic === 'ustar\0';
  const type = String.fromCharCode(block[156]!);
  return {
    name: cString(block.subarray(0, 100)),
    mode: parseNumber(block.subarray(100, 108), `${where}: mode`),
    size: parseNumber(block.subarray(124, 136), `${where}: size`),
    mtime: parseNumber(block.subarray(136, 148), `${where}: mtime`),
    typeflag: type === '\0' ? '0' : type,
    linkname: cString(block.subarray(157, 257)),
    ustar,
    prefix: ustar ? cString(block.subarray(345, 500)) : '',
  };
}

/** A numeric field: NUL/space-terminated octal, or GNU base-256 when the high bit of the first byte is set. */
export function parseNumber(field: Buffer, what: string): number {
  if (field.length > 0 && (field[0]! & 0x80) !== 0) {
    if (field[0] === 0xff) throw new ArchiveError(`${what}: negative base-256 number`);
    let value = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) {
      value = value * 256 + field[i]!;
      if (value > Number.MAX_SAFE_INTEGER) throw new ArchiveError(`${what}: number too large`);
    }
    return value;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new ArchiveError(`${what}: invalid octal number "${text}"`);
  return parseInt(text, 8);
}

export interface TarHeaderFields {
  name: string;
  type: 'file' | 'dir';
  size: number;
  mode: number;
  /** Seconds since the epoch; 0 unless given. */
  mtime?: number;
}

/**
 * A deterministic ustar header: uid/gid 0, no user or group names, device numbers 0. Names up to
 * 100 bytes go in `name`; longer ones are split into `prefix` (up to 155 bytes) at a `/`.
 * Sizes from 8 GiB are written in base-256, which GNU tar, Go's archive/tar and node-tar read.
 */
export function encodeTarHeader(fields: TarHeaderFields): Buffer {
  const block = Buffer.alloc(TAR_BLOCK);
  const [prefix, name] = splitName(fields.name);
  block.write(name, 0, 100, 'utf8');
  writeOctal(block, 100, 8, fields.mode & 0o7777);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  if (fields.size <= MAX_OCTAL_SIZE) {
    writeOctal(block, 124, 12, fields.size);
  } else {
    let value = fields.size;
    for (let i = 135; i > 124; i--) {
      block[i] = value % 256;
      value = Math.floor(value / 256);
    }
    block[124] = 0x80;
  }
  writeOctal(block, 136, 12, fields.mtime ?? 0);
  block[156] = (fields.type === 'dir' ? '5' : '0').charCodeAt(0);
  block.write('ustar\0', 257, 6, 'latin1');
  block.write('00', 263, 2, 'latin1');
  writeOctal(block, 329, 8, 0);
  writeOctal(block, 337, 8, 0);
  block.write(prefix, 345, 155, 'utf8');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  // Six octal digits, NUL, space: the form GNU tar and Go write.
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return block;
}

function splitName(full: string): [string, string] {
  const bytes = Buffer.byteLength(full);
  if (bytes <= 100) return ['', full];
  for (let i = full.length - 1; i > 0; i--) {
    if (full[i] !== '/') continue;
    const prefix = full.slice(0, i);
    const name = full.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '') return [prefix, name];
  }
  throw new ArchiveError(`tar member name too long for a ustar header: ${full}`);
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'latin1');
}

function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
}
