/**
 * `ferry verify`: proves an archive (or its volumes) intact without extracting or writing anything.
 *
 * 1. The volumes: every one present, of this archive, complete, holding exactly the tar members its
 *    header lists, names in canonical form, regular files only (openVolumes). A problem here stops
 *    the check: nothing after it could be trusted.
 * 2. Every logical member streamed once: its sha256 against `checksums.sha256`, and for a blob also
 *    against its own name. A member the checksums file does not list, or a listed one that is not
 *    there, or an unsafe path, is a problem.
 * 3. The integrity chain: the sha256 of `checksums.sha256` is the identity every volume names; the
 *    signature, when a public key is given (and required with `requireSignature`).
 * 4. The images: every blob a manifest of index.json references is present with its size, and every
 *    image the metadata lists is in index.json with its digest.
 *
 * Problems are collected, not thrown, so one run lists them all; the caller turns them into the
 * integrity exit code.
 */
import { FerryError, UsageError } from '../../errors.js';
import { ArchiveError } from '../../oci/archive/tar-header.js';
import { CHECKSUMS_FILE, METADATA_FILE, SIGNATURE_FILE, parseArchiveMetadata, type ArchiveMetadata } from '../archive-metadata.js';
import { archiveIdentity, parseChecksums, unsafePathReason } from '../checksums.js';
import { loadPublicKey, publicKeyFingerprint, verifySignature } from '../signing.js';
import { VOLUME_HEADER_NAME } from '../volumes/volume-header.js';
import { openVolumes, type VolumeSet } from '../volumes/read-volumes.js';
import { hashMembers } from './hash-members.js';
import { checkImageGraph } from './image-graph.js';
import { readMember } from './read-member.js';

export interface VerifyOptions {
  /** ed25519 public key file (PEM) to check `checksums.sha256.sig` with. */
  publicKeyFile?: string;
  /** Fail unless the archive is signed and the signature checks with `publicKeyFile`. */
  requireSignature?: boolean;
  signal?: AbortSignal;
  /** The volumes, when the caller has opened them already (they are then not opened again). */
  volumes?: VolumeSet;
  /** Called as bytes are hashed (total: every member's bytes). */
  onProgress?: (done: number, total: number) => void;
}

export interface VerifyProblem {
  /** Stable kind: VOLUMES, UNSAFE_PATH, CHECKSUMS (the file does not parse), NOT_LISTED, MISSING_MEMBER, CHECKSUM_MISMATCH, DIGEST_MISMATCH, IDENTITY_MISMATCH, SIGNATURE, MISSING_BLOB, SIZE_MISMATCH, METADATA. */
  kind: string;
  message: string;
  member?: string;
  /** The volumes (1-based) the problem lies in, when known. */
  volumes?: number[];
}

export type SignatureStatus = 'valid' | 'invalid' | 'unsigned' | 'not-checked';

export interface VolumeResult {
  file: string;
  volume: number;
  members: number;
  bytes: number;
  ok: boolean;
}

export interface VerifyReport {
  archive: string;
  ok: boolean;
  identity?: string;
  signature: SignatureStatus;
  /** sha256 fingerprint of the public key the signature was checked with. */
  signedBy?: string;
  volumes: VolumeResult[];
  /** Members hashed and matching, and their bytes. */
  verified: { members: number; bytes: number };
  images: number;
  blobs: number;
  problems: VerifyProblem[];
}

/** Most problems of one kind listed; the rest are counted in one more line. */
const MAX_PER_KIND = 100;

export async function verifyArchive(first: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  if (options.requireSignature && !options.publicKeyFile) throw new UsageError('--require-signature needs --key: the public key to check the signature with');
  const publicKey = options.publicKeyFile ? await loadPublicKey(options.publicKeyFile) : undefined;
  const problems = new ProblemList();
  const report: VerifyReport = { archive: first, ok: false, signature: 'not-checked', volumes: [], verified: { members: 0, bytes: 0 }, images: 0, blobs: 0, problems: problems.items };

  let set: VolumeSet;
  try {
    set = options.volumes ?? (await openVolumes(first));
  } catch (err) {
    if (!(err instanceof ArchiveError)) throw err;
    problems.add({ kind: 'VOLUMES', message: err.message });
    return finish(report, problems);
  }
  report.volumes = set.volumes.map((v) => ({ file: v.file, volume: v.volume, members: v.members, bytes: v.size, ok: true }));
  const members = set.members();

  for (const m of members) {
    const reason = unsafePathReason(m.name);
    if (reason !== undefined) problems.add({ kind: 'UNSAFE_PATH', member: m.name, volumes: m.volumes, message: `member ${JSON.stringify(m.name)}: unsafe path: ${reason}` });
  }

  // The integrity chain: checksums.sha256 → identity → signature.
  let listed = new Map<string, string>();
  const checksumsMember = set.member(CHECKSUMS_FILE);
  if (checksumsMember === undefined) {
    problems.add({ kind: 'MISSING_MEMBER', member: CHECKSUMS_FILE, message: `the archive has no ${CHECKSUMS_FILE}: nothing can be checked against it` });
  } else {
    const checksums = await readMember(set, CHECKSUMS_FILE, 64 * 1024 * 1024);
    report.identity = archiveIdentity(checksums);
    if (report.identity !== set.archive) {
      problems.add({ kind: 'IDENTITY_MISMATCH', member: CHECKSUMS_FILE, volumes: checksumsMember.volumes, message: `${CHECKSUMS_FILE} has sha256 ${report.identity}, but the volumes name archive ${set.archive}: the checksums file was changed` });
    }
    try {
      listed = new Map(parseChecksums(checksums, CHECKSUMS_FILE).map((e) => [e.path, e.sha256]));
    } catch (err) {
      problems.add({ kind: 'CHECKSUMS', member: CHECKSUMS_FILE, message: (err as Error).message });
    }
    report.signature = await checkSignature(set, checksums, set.member(SIGNATURE_FILE) !== undefined, publicKey, options.requireSignature === true, problems);
    if (publicKey !== undefined) report.signedBy = publicKeyFingerprint(publicKey);
  }

  // Every member hashed once (on every core when there is much to hash), then checked in archive order.
  const total = members.reduce((n, m) => n + m.size, 0);
  let done = 0;
  const hashes = await hashMembers(first, set, members.map((m) => m.name), { ...(options.signal ? { signal: options.signal } : {}), onBytes: (n) => options.onProgress?.((done += n), total) });
  const chainMembers = new Set([CHECKSUMS_FILE, SIGNATURE_FILE, VOLUME_HEADER_NAME]);
  for (const m of members) {
    const hex = hashes.get(m.name)!;
    if (chainMembers.has(m.name)) {
      report.verified.members++;
      report.verified.bytes += m.size;
      continue;
    }
    let good = true;
    const expected = listed.get(m.name);
    if (expected === undefined) {
      good = false;
      if (checksumsMember !== undefined) problems.add({ kind: 'NOT_LISTED', member: m.name, volumes: m.volumes, message: `member ${m.name} (${m.size} bytes) is not listed in ${CHECKSUMS_FILE}` });
    } else if (expected !== hex) {
      good = false;
      problems.add({ kind: 'CHECKSUM_MISMATCH', member: m.name, volumes: m.volumes, message: `member ${m.name}: sha256 ${hex}, ${CHECKSUMS_FILE} says ${expected}${where(set, m.volumes)}` });
    }
    const blob = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(m.name);
    if (blob !== null && blob[1] !== hex) {
      good = false;
      problems.add({ kind: 'DIGEST_MISMATCH', member: m.name, volumes: m.volumes, message: `blob ${m.name}: its content has digest sha256:${hex}, not the one its name gives${where(set, m.volumes)}` });
    }
    if (good) {
      report.verified.members++;
      report.verified.bytes += m.size;
    }
  }
  for (const name of listed.keys()) {
    if (set.member(name) === undefined) problems.add({ kind: 'MISSING_MEMBER', member: name, message: `${CHECKSUMS_FILE} lists ${name}, which the archive does not hold` });
  }

  // The images: metadata ↔ index.json ↔ blobs.
  let metadata: ArchiveMetadata | undefined;
  if (set.member(METADATA_FILE) === undefined) {
    problems.add({ kind: 'MISSING_MEMBER', member: METADATA_FILE, message: `the archive has no ${METADATA_FILE}` });
  } else {
    try {
      metadata = parseArchiveMetadata(await readMember(set, METADATA_FILE, 256 * 1024 * 1024), `${first}: ${METADATA_FILE}`);
    } catch (err) {
      if (!(err instanceof ArchiveError)) throw err;
      problems.add({ kind: 'METADATA', member: METADATA_FILE, message: err.message });
    }
  }
  const graph = await checkImageGraph(set, metadata);
  report.images = graph.images;
  report.blobs = graph.blobs;
  for (const p of graph.problems) problems.add(p);
  return finish(report, problems);
}

async function checkSignature(set: VolumeSet, checksums: Buffer, signed: boolean, publicKey: string | undefined, required: boolean, problems: ProblemList): Promise<SignatureStatus> {
  if (!signed) {
    if (required) problems.add({ kind: 'SIGNATURE', member: SIGNATURE_FILE, message: `the archive is not signed (no ${SIGNATURE_FILE}), and --require-signature was given` });
    return 'unsigned';
  }
  if (publicKey === undefined) return 'not-checked';
  let valid = false;
  try {
    valid = verifySignature(checksums, await readMember(set, SIGNATURE_FILE, 4096), publicKey, SIGNATURE_FILE);
  } catch (err) {
    if (!(err instanceof FerryError)) throw err;
    problems.add({ kind: 'SIGNATURE', member: SIGNATURE_FILE, message: err.message });
    return 'invalid';
  }
  if (!valid) problems.add({ kind: 'SIGNATURE', member: SIGNATURE_FILE, message: `${SIGNATURE_FILE} is not a valid signature of ${CHECKSUMS_FILE} by the key ${publicKeyFingerprint(publicKey)}` });
  return valid ? 'valid' : 'invalid';
}

function where(set: VolumeSet, volumes: readonly number[]): string {
  if (set.files.length === 1) return '';
  return ` (in ${volumes.map((v) => set.files[v - 1]).join(', ')})`;
}

function finish(report: VerifyReport, problems: ProblemList): VerifyReport {
  problems.close();
  const damaged = new Set(problems.items.flatMap((p) => p.volumes ?? []));
  for (const v of report.volumes) v.ok = !damaged.has(v.volume);
  report.ok = problems.items.length === 0;
  return report;
}

class ProblemList {
  readonly items: VerifyProblem[] = [];
  private readonly counts = new Map<string, number>();

  add(problem: VerifyProblem): void {
    const n = (this.counts.get(problem.kind) ?? 0) + 1;
    this.counts.set(problem.kind, n);
    if (n <= MAX_PER_KIND) this.items.push(problem);
  }

  close(): void {
    for (const [kind, n] of this.counts) {
      if (n > MAX_PER_KIND) this.items.push({ kind, message: `… and ${n - MAX_PER_KIND} more ${kind} problems` });
    }
  }
}
