/**
 * The volume header: `ferry-volume.json`, the first tar member of every volume of a ferry archive.
 * It says which archive the volume belongs to (an identity string the caller chooses, e.g. the
 * archive's `sha256:` identity), which volume it is of how many, and lists the tar members that
 * follow it in this volume, in order. A member too large for one volume is stored as pieces; each
 * piece is a tar member named `<name>.ferry-piece-<i>-of-<n>` holding the bytes of the logical
 * member from `offset` on, and its entry carries `piece: { index, of, offset }`.
 *
 * Format (compact JSON, keys in exactly this order, one trailing newline):
 * `{"format":"ferry-volume/v1","archive":"…","volume":1,"volumes":3,"members":[{"name":"…","size":1,"piece":{"index":1,"of":3,"offset":0}}]}`
 */
import { ArchiveError } from '../../oci/archive/tar-header.js';

export const VOLUME_HEADER_NAME = 'ferry-volume.json';
export const VOLUME_FORMAT = 'ferry-volume/v1';

export interface VolumePiece {
  /** 1-based index of this piece among the pieces of its logical member. */
  index: number;
  /** How many pieces the logical member has. */
  of: number;
  /** Byte offset of this piece in the logical member. */
  offset: number;
}

export interface VolumeHeaderMember {
  /** The tar member name (for a piece: `<logical>.ferry-piece-<i>-of-<n>`). */
  name: string;
  /** The tar member's size in bytes. */
  size: number;
  piece?: VolumePiece;
}

export interface VolumeHeader {
  archive: string;
  /** 1-based. */
  volume: number;
  volumes: number;
  members: VolumeHeaderMember[];
}

/** The tar member name of piece `index` of `of` of the logical member `name`. */
export function pieceName(name: string, index: number, of: number): string {
  return `${name}.ferry-piece-${index}-of-${of}`;
}

/** The header's exact bytes: deterministic key order, compact, newline-terminated. */
export function encodeVolumeHeader(header: VolumeHeader): Buffer {
  const ordered = {
    format: VOLUME_FORMAT,
    archive: header.archive,
    volume: header.volume,
    volumes: header.volumes,
    members: header.members.map((m) => (m.piece === undefined ? { name: m.name, size: m.size } : { name: m.name, size: m.size, piece: { index: m.piece.index, of: m.piece.of, offset: m.piece.offset } })),
  };
  return Buffer.from(`${JSON.stringify(ordered)}\n`, 'utf8');
}

/** Parses and validates a volume header read from `where` (the volume file, for messages). */
export function parseVolumeHeader(bytes: Buffer, where: string): VolumeHeader {
  const bad = (why: string): ArchiveError => new ArchiveError(`${where}: invalid volume header ${VOLUME_HEADER_NAME}: ${why}`);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw bad(`not JSON (${(err as Error).message})`);
  }
  if (!isObject(value)) throw bad('not a JSON object');
  if (value.format !== VOLUME_FORMAT) throw bad(`format is ${JSON.stringify(value.format)}, expected "${VOLUME_FORMAT}"`);
  if (typeof value.archive !== 'string' || value.archive === '') throw bad('"archive" must be a non-empty string');
  if (!isCount(value.volumes)) throw bad('"volumes" must be a positive integer');
  if (!isCount(value.volume) || value.volume > value.volumes) throw bad(`"volume" must be an integer from 1 to ${value.volumes}`);
  if (!Array.isArray(value.members)) throw bad('"members" must be an array');
  const members: VolumeHeaderMember[] = value.members.map((m: unknown, i: number) => {
    const at = `members[${i}]`;
    if (!isObject(m)) throw bad(`${at} is not an object`);
    if (typeof m.name !== 'string' || m.name === '') throw bad(`${at}.name must be a non-empty string`);
    if (!isSize(m.size)) throw bad(`${at}.size must be a non-negative integer`);
    if (m.piece === undefined) return { name: m.name, size: m.size };
    const p = m.piece;
    if (!isObject(p) || !isCount(p.of) || !isCount(p.index) || p.index > p.of || !isSize(p.offset)) throw bad(`${at}.piece must be {index, of, offset} with 1 <= index <= of and offset >= 0`);
    if (!m.name.endsWith(`.ferry-piece-${p.index}-of-${p.of}`)) throw bad(`${at}.name "${m.name}" does not end with .ferry-piece-${p.index}-of-${p.of}`);
    return { name: m.name, size: m.size, piece: { index: p.index, of: p.of, offset: p.offset } };
  });
  return { archive: value.archive, volume: value.volume, volumes: value.volumes, members };
}

/** The logical member a piece entry belongs to. */
export function logicalName(member: VolumeHeaderMember): string {
  if (member.piece === undefined) return member.name;
  return member.name.slice(0, member.name.length - `.ferry-piece-${member.piece.index}-of-${member.piece.of}`.length);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 1;
}

function isSize(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}
