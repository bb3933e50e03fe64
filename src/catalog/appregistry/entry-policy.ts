/**
 * What a tar entry of an App Registry blob may be, decided before anything is written. The rule is
 * explicit and loud: an entry that is absolute, has a `..` component, is a link whose target lies
 * outside the package folder, or is a device or FIFO, is refused with an error naming it; ferry does
 * not quietly strip or skip such entries the way tar tools do.
 */
import path from 'node:path';
import { ArchiveError } from '../../oci/archive/tar-header.js';

/** The fields of a tar entry the policy looks at (as `tar`'s ReadEntry has them). */
export interface TarEntryInfo {
  path: string;
  type: string;
  linkpath?: string;
  size: number;
}

/** A checked entry; paths are relative, `/`-separated, without `.` components. */
export type EntryPlan =
  | { kind: 'dir'; path: string }
  | { kind: 'file'; path: string; size: number }
  /** Written as a copy of the regular file at `target` (ferry never creates links on disk). */
  | { kind: 'link'; path: string; target: string };

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const DEVICE_TYPES = new Set(['CharacterDevice', 'BlockDevice', 'FIFO']);

export class UnsafeEntryError extends ArchiveError {
  constructor(
    readonly entry: string,
    reason: string,
    where: string,
  ) {
    super(`${where}: tar entry ${JSON.stringify(entry)} ${reason}; refusing to extract the blob (nothing of it was kept)`);
    this.name = 'UnsafeEntryError';
  }
}

function isAbsolute(p: string): boolean {
  return p.startsWith('/') || p.startsWith('\\') || /^[A-Za-z]:/.test(p);
}

/** The components of `p`, either separator counted, with empty and `.` ones dropped. */
function components(p: string): string[] {
  return p.split(/[/\\]/).filter((c) => c !== '' && c !== '.');
}

/**
 * Checks one entry. Returns undefined for an entry that names the archive root itself (`./`);
 * throws UnsafeEntryError for anything refused. `where` names the blob in messages.
 */
export function planEntry(entry: TarEntryInfo, where: string): EntryPlan | undefined {
  const raw = entry.path;
  const refuse = (reason: string): never => {
    throw new UnsafeEntryError(raw, reason, where);
  };
  if (raw.includes('\0')) refuse('has a NUL character in its name');
  if (isAbsolute(raw)) refuse('is an absolute path');
  const parts = components(raw);
  if (parts.includes('..')) refuse('has a ".." component and would be written outside the package folder');
  const rel = parts.join('/');

  if (entry.type === 'Directory') return rel === '' ? undefined : { kind: 'dir', path: rel };
  if (DEVICE_TYPES.has(entry.type)) refuse(`is a ${entry.type === 'FIFO' ? 'FIFO' : 'device'} (${entry.type})`);
  if (rel === '') refuse('has an empty name');
  if (FILE_TYPES.has(entry.type)) return { kind: 'file', path: rel, size: entry.size };

  if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
    const link = entry.linkpath ?? '';
    if (link === '' || link.includes('\0')) refuse('is a link without a usable target');
    if (isAbsolute(link)) refuse(`is a link to the absolute path ${JSON.stringify(link)}, outside the package folder`);
    // A symbolic link is relative to its own folder; a hard link names a path from the archive root.
    const base = entry.type === 'SymbolicLink' ? path.posix.dirname(rel) : '.';
    const resolved = path.posix.normalize(path.posix.join(base, link.replace(/\\/g, '/')));
    if (resolved === '..' || resolved.startsWith('../')) refuse(`is a link to ${JSON.stringify(link)}, outside the package folder`);
    const target = components(resolved).join('/');
    if (target === '' || target === rel) refuse(`is a link to ${JSON.stringify(link)}, which is not a file`);
    return { kind: 'link', path: rel, target };
  }
  return refuse(`has the unsupported type ${entry.type}`);
}
