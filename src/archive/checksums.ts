/**
 * The checksums file at the root of the archive's integrity chain, in exactly the form GNU
 * `sha256sum -c` reads, so a receiver can check an unpacked archive without ferry:
 *
 *     <64 lowercase hex sha256><two spaces><path>\n
 *
 * - one line per file, sorted by path in byte (UTF-8) order, LF line endings, a final LF, UTF-8;
 * - paths relative to the archive root, `/`-separated, in canonical form: not empty, not absolute
 *   (no leading `/`, no drive letter like `C:`), no `.`, `..` or empty components, no trailing `/`,
 *   no backslash and no control character (sha256sum would escape `\`, LF and CR with a leading
 *   `\` line; ferry refuses such names instead), no lone UTF-16 surrogate (not encodable in UTF-8);
 * - no sizes: sha256sum lines have no size field, so sizes, where needed, live elsewhere (the
 *   archive manifest);
 * - an empty list gives an empty file (sha256sum -c rejects that; callers should not sign one).
 *
 * Because the form is canonical (sorted, one spelling per path), the same set of files always gives
 * the same bytes, and {@link archiveIdentity} (their sha256) names the archive's content.
 * {@link parseChecksums} accepts only this form: it is a check of ferry's own output, not a general
 * reader of checksum files (no `*` binary marker, no escaped names, no BSD `SHA256 (x) = ...` lines,
 * no blank lines, no CRLF).
 */
import { ExitCode, FerryError, InvalidInputError, type Problem } from '../errors.js';
import { sha256Digest } from '../oci/digest.js';
import { compareBytes } from '../util/compare-bytes.js';

/** One file of the archive and the sha256 of its content (64 lowercase hex, no `sha256:` prefix). */
export interface ChecksumEntry {
  path: string;
  sha256: string;
}

const HEX_RE = /^[0-9a-f]{64}$/;
/** Most problems one parse reports; the rest are counted. */
const MAX_PROBLEMS = 50;

/** Why `path` cannot appear in a checksums file, or undefined when it can. */
export function unsafePathReason(path: string): string | undefined {
  if (path === '') return 'the path is empty';
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'the path contains a control character (newline, carriage return, tab, ...)';
  if (path.includes('\\')) return 'the path contains a backslash';
  if (/\p{Cs}/u.test(path)) return 'the path is not valid Unicode (lone surrogate)';
  if (path.startsWith('/')) return 'the path is absolute';
  if (/^[A-Za-z]:/.test(path)) return 'the path starts with a drive letter';
  const parts = path.split('/');
  if (parts.includes('..')) return 'the path contains a ".." component';
  if (parts.includes('.') || parts.includes('')) return 'the path is not in canonical form (".", empty component or trailing "/")';
  return undefined;
}

/**
 * The checksums file for `entries`, sorted by path. Extra fields (such as `size`) are ignored.
 * Throws FerryError UNSAFE_PATH for a path that is not a safe relative path, DUPLICATE_PATH for a
 * path given twice, INVALID_DIGEST for a checksum that is not 64 lowercase hex (all exit 3).
 */
export function formatChecksums(entries: ReadonlyArray<ChecksumEntry & { size?: number }>): Buffer {
  for (const e of entries) {
    const reason = unsafePathReason(e.path);
    if (reason !== undefined) {
      throw new FerryError('UNSAFE_PATH', `cannot record ${JSON.stringify(e.path)} in a checksums file: ${reason}`, ExitCode.invalidInput);
    }
    if (!HEX_RE.test(e.sha256)) {
      throw new FerryError('INVALID_DIGEST', `checksum of ${JSON.stringify(e.path)} is not 64 lowercase hex digits: ${JSON.stringify(e.sha256)}`, ExitCode.invalidInput);
    }
  }
  const sorted = [...entries].sort((a, b) => compareBytes(a.path, b.path));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.path === sorted[i - 1]!.path) {
      throw new FerryError('DUPLICATE_PATH', `${JSON.stringify(sorted[i]!.path)} is listed twice for the checksums file`, ExitCode.invalidInput);
    }
  }
  return Buffer.from(sorted.map((e) => `${e.sha256}  ${e.path}\n`).join(''), 'utf8');
}

/**
 * Reads a checksums file written by {@link formatChecksums}, strictly: every line must be
 * `<64 lowercase hex>  <safe path>`, in sorted order, each path once, LF-terminated (including the
 * last). All problems are reported (up to 50), each as `FILE:LINE`, in one InvalidInputError
 * (INVALID_INPUT, exit 3). `file` names the file in messages.
 */
export function parseChecksums(text: Buffer | string, file: string): ChecksumEntry[] {
  const problems: Problem[] = [];
  let more = 0;
  const problem = (line: number, message: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push({ file: `${file}:${line}`, message });
    else more++;
  };

  let content: string;
  if (typeof text === 'string') content = text;
  else {
    try {
      content = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(text);
    } catch {
      throw new InvalidInputError([{ file, message: 'the file is not valid UTF-8' }], `${file} is not a ferry checksums file`);
    }
  }

  const entries: ChecksumEntry[] = [];
  const firstLine = new Map<string, number>();
  const lines = content.split('\n');
  const last = lines.pop()!; // '' when the file ends with LF
  if (last !== '') lines.push(last);

  lines.forEach((line, i) => {
    const n = i + 1;
    if (i === lines.length - 1 && last !== '') problem(n, 'the last line does not end with a newline');
    if (line.endsWith('\r')) {
      problem(n, 'CRLF line ending (the file must use LF only; was it converted on the way?)');
      return;
    }
    if (line === '') {
      problem(n, 'blank line');
      return;
    }
    const sep = line.indexOf('  ');
    const hex = sep < 0 ? line : line.slice(0, sep);
    if (sep < 0 || !/^[0-9a-fA-F]+$/.test(hex)) {
      if (line.startsWith('\\')) problem(n, 'escaped file names (a leading "\\") are not used by ferry');
      else if (/^SHA256 \(/.test(line)) problem(n, 'BSD-style "SHA256 (path) = hex" lines are not used by ferry; expected "<64 hex>  <path>"');
      else if (/^[0-9a-fA-F]{64} \*/.test(line)) problem(n, 'binary-mode marker "*" is not used by ferry; expected "<64 hex>  <path>" (two spaces)');
      else problem(n, 'expected "<64 lowercase hex sha256>  <path>" (two spaces between)');
      return;
    }
    if (hex.length !== 64) {
      problem(n, `the checksum has ${hex.length} hex digits, expected 64`);
      return;
    }
    if (!HEX_RE.test(hex)) {
      problem(n, 'the checksum must be lowercase hex');
      return;
    }
    const path = line.slice(sep + 2);
    const reason = unsafePathReason(path);
    if (reason !== undefined) {
      problem(n, `unsafe path ${JSON.stringify(path)}: ${reason}`);
      return;
    }
    const seen = firstLine.get(path);
    if (seen !== undefined) {
      problem(n, `${JSON.stringify(path)} is listed again (first on line ${seen})`);
      return;
    }
    const previous = entries[entries.length - 1];
    if (previous !== undefined && compareBytes(previous.path, path) > 0) {
      problem(n, `${JSON.stringify(path)} is out of order: lines must be sorted by path (it sorts before ${JSON.stringify(previous.path)})`);
    }
    firstLine.set(path, n);
    entries.push({ path, sha256: hex });
  });

  if (more > 0) problems.push({ file, message: `${more} more problem${more === 1 ? '' : 's'} not shown` });
  if (problems.length > 0) {
    const count = problems.length - (more > 0 ? 1 : 0) + more;
    throw new InvalidInputError(problems, `${file} is not a valid ferry checksums file (${count} problem${count === 1 ? '' : 's'})`);
  }
  return entries;
}

/** The archive's identity: `sha256:<hex>` of the checksums file's exact bytes. */
export function archiveIdentity(checksumsBytes: Buffer): string {
  return sha256Digest(checksumsBytes);
}
