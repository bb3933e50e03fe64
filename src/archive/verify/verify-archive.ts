/**
 * `ferry verify`: proves an archive (or its volumes) intact without extracting or writing anything.
 *
 * 1. The volumes: every one present, of this archive, complete, holding exactly the tar members its
 *    header lists, names in canonical form, regular files only (openVolumes). A problem here stops
 *    the check: nothing after it could be trusted.
 * 2. Every logical member streamed once: its sha256 against `checksums.sha256`, and for a blob also
 *    against its own name. A member the checksums file does not list, or a listed one that is not
 *    there, or an unsafe path, is a problem.
 * 3. The integrity chain (check-chain.ts): the sha256 of `checksums.sha256` is the identity every
 *    volume names; a public key requires a signature that checks with it; metadata recording a
 *    signature requires one to be there.
 * 4. The images: every blob a manifest of index.json references is present with its size, and every
 *    image the metadata lists is in index.json with its digest.
 *
 * Problems are collected, not thrown, so one run lists them all; the caller turns them into the
 * integrity exit code (or throws them with {@link assertIntact}). This is the one whole check:
 * push runs it before sending, unpack before its folder gets its final name (hashing the members
 * as it writes them, through `hash`).
 */
import { UsageError } from '../../errors.js';
import { ArchiveDamagedError, type ArchiveProblem } from '../archive-damaged.js';
import { CHECKSUMS_FILE, METADATA_FILE, SIGNATURE_FILE, parseArchiveMetadata, type ArchiveMetadata } from '../archive-metadata.js';
import { parseChecksums, unsafePathReason } from '../checksums.js';
import { loadPublicKey } from '../signing.js';
import { ArchiveError } from '../../oci/archive/tar-header.js';
import { VOLUME_HEADER_NAME } from '../volumes/volume-header.js';
import { openVolumes, type VolumeSet } from '../volumes/read-volumes.js';
import { checkChain, memberProblems, type SignatureStatus } from './check-chain.js';
import { hashMembers, type HashOptions } from './hash-members.js';
import { checkImageGraph } from './image-graph.js';
import { readMember } from './read-member.js';

export type { SignatureStatus } from './check-chain.js';
export type VerifyProblem = ArchiveProblem;

/** The sha256 (hex) of each of `names`, members of `set`; a caller may write them out as it hashes. */
export type MemberHasher = (set: VolumeSet, names: readonly string[], options: HashOptions) => Promise<Map<string, string>>;

export interface VerifyOptions {
  /** ed25519 public key file (PEM): the archive must carry a signature that checks with it. */
  publicKeyFile?: string;
  /** Fail unless the archive is signed and the signature checks with `publicKeyFile` (implied by it; kept for --require-signature). */
  requireSignature?: boolean;
  signal?: AbortSignal;
  /** The volumes, when the caller has opened them already (they are then not opened again). */
  volumes?: VolumeSet;
  /** Called as bytes are hashed (total: every member's bytes). */
  onProgress?: (done: number, total: number) => void;
  /** How members are hashed (default: read only, on every core for a large archive). */
  hash?: MemberHasher;
  /** Stop when the integrity chain has a problem: no member is read then. */
  stopOnChainProblem?: boolean;
  /**
   * Check only the integrity chain and the small members that describe the archive (metadata,
   * oci-layout, index.json, each against the checksums); no blob is read. What push, serve and the
   * `ferry-archive:` transport check before they use an archive.
   */
  chainOnly?: boolean;
}

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

/** The small members that say what the archive holds (checked with the chain). */
const DESCRIBING = new Set([METADATA_FILE, 'oci-layout', 'index.json']);

/** Most problems of one kind listed; the rest are counted in one more line. */
const MAX_PER_KIND = 100;

export async function verifyArchive(first: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  if (options.requireSignature && !options.publicKeyFile) throw new UsageError('--require-signature needs --key: the public key to check the signature with');
  const publicKey = options.publicKeyFile ? await loadPublicKey(options.publicKeyFile) : undefined;
  const problems = new ProblemList();
  const report: VerifyReport = { archive: first, ok: false, signature: 'unknown', volumes: [], verified: { members: 0, bytes: 0 }, images: 0, blobs: 0, problems: problems.items };

  let set: VolumeSet;
  try {
    set = options.volumes ?? (await openVolumes(first));
  } catch (err) {
    if (!(err instanceof ArchiveDamagedError)) throw err;
    for (const p of err.problems) problems.add(p);
    return finish(report, problems);
  }
  report.volumes = set.volumes.map((v) => ({ file: v.file, volume: v.volume, members: v.members, bytes: v.size, ok: true }));
  const members = set.members();

  for (const m of members) {
    const reason = unsafePathReason(m.name);
    if (reason !== undefined) problems.add({ kind: 'UNSAFE_PATH', member: m.name, volumes: m.volumes, message: `member ${JSON.stringify(m.name)}: unsafe path: ${reason}` });
  }

  // The metadata first: what it records about the signature is part of the chain.
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

  // The integrity chain: checksums.sha256 → identity → signature.
  let listed = new Map<string, string>();
  const checksumsMember = set.member(CHECKSUMS_FILE);
  if (checksumsMember === undefined) {
    problems.add({ kind: 'MISSING_MEMBER', member: CHECKSUMS_FILE, message: `the archive has no ${CHECKSUMS_FILE}: nothing can be checked against it` });
  } else {
    const checksums = await readMember(set, CHECKSUMS_FILE, 64 * 1024 * 1024);
    const chain = checkChain({
      checksums,
      identity: set.archive,
      ...(set.member(SIGNATURE_FILE) ? { signature: await readMember(set, SIGNATURE_FILE, 4096) } : {}),
      ...(metadata ? { metadata } : {}),
      ...(publicKey ? { publicKey } : {}),
      volumes: checksumsMember.volumes,
    });
    report.identity = chain.identity;
    report.signature = chain.signature;
    if (chain.signedBy) report.signedBy = chain.signedBy;
    for (const p of chain.problems) problems.add(p);
    try {
      listed = new Map(parseChecksums(checksums, CHECKSUMS_FILE).map((e) => [e.path, e.sha256]));
    } catch (err) {
      problems.add({ kind: 'CHECKSUMS', member: CHECKSUMS_FILE, message: (err as Error).message });
    }
  }
  if (options.stopOnChainProblem && problems.items.length > 0) return finish(report, problems);

  // Every member hashed once (on every core when there is much to hash), then checked in archive order.
  const checked = options.chainOnly ? members.filter((m) => DESCRIBING.has(m.name)) : members;
  const total = checked.reduce((n, m) => n + m.size, 0);
  let done = 0;
  const hash: MemberHasher = options.hash ?? ((s, names, o) => hashMembers(first, s, names, o));
  const hashes = await hash(set, checked.map((m) => m.name), { ...(options.signal ? { signal: options.signal } : {}), onBytes: (n) => options.onProgress?.((done += n), total) });
  const chainMembers = new Set([CHECKSUMS_FILE, SIGNATURE_FILE, VOLUME_HEADER_NAME]);
  for (const m of checked) {
    const found = chainMembers.has(m.name) ? [] : memberProblems(m, hashes.get(m.name)!, listed, where(set, m.volumes));
    // Without a checksums file (reported above) every member would be "not listed": say it once.
    for (const p of found) if (p.kind !== 'NOT_LISTED' || checksumsMember !== undefined) problems.add(p);
    if (found.length === 0) {
      report.verified.members++;
      report.verified.bytes += m.size;
    }
  }
  if (options.chainOnly) return finish(report, problems);
  for (const name of listed.keys()) {
    if (set.member(name) === undefined) problems.add({ kind: 'MISSING_MEMBER', member: name, message: `${CHECKSUMS_FILE} lists ${name}, which the archive does not hold` });
  }

  // The images: metadata ↔ index.json ↔ blobs.
  const graph = await checkImageGraph(set, metadata);
  report.images = graph.images;
  report.blobs = graph.blobs;
  for (const p of graph.problems) problems.add(p);
  return finish(report, problems);
}

/** Throws ArchiveDamagedError (exit 6) with the report's problems unless it found none. */
export function assertIntact(report: VerifyReport, what = 'failed verification'): void {
  if (!report.ok) throw new ArchiveDamagedError(report.archive, report.problems, what);
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
