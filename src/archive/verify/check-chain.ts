/**
 * The integrity chain of an archive, checked from its small leading members alone (verify and
 * inspect both use it): `checksums.sha256` → its sha256 is the identity the volume headers name →
 * the signature, when there is one or one is asked for, checks with the key → what the metadata
 * (listed in the checksums, so bound to the identity) records about the signature holds.
 *
 * The volume headers are outside the checksums, so a signature member could be dropped from an
 * archive and its header edited without touching the identity. The metadata's `signedBy` closes
 * that gap: pack records the signing key's fingerprint there (null when unsigned), so an archive
 * whose metadata says it was signed but that carries no signature is damaged, key or no key; and
 * giving a key always requires a valid signature.
 */
import { FerryError } from '../../errors.js';
import type { ArchiveProblem } from '../archive-damaged.js';
import { CHECKSUMS_FILE, SIGNATURE_FILE, type ArchiveMetadata } from '../archive-metadata.js';
import { archiveIdentity } from '../checksums.js';
import { publicKeyFingerprint, verifySignature } from '../signing.js';

export type SignatureStatus = 'valid' | 'invalid' | 'unsigned' | 'not-checked' | 'unknown';

export interface ChainInput {
  /** The checksums file's bytes. */
  checksums: Buffer;
  /** The identity the volume header(s) name. */
  identity: string;
  /** The signature file's bytes, when the archive has one. */
  signature?: Buffer;
  /** The metadata, when it could be read (its `signedBy` is what pack recorded). */
  metadata?: ArchiveMetadata;
  /** SPKI PEM: the signature must be present and check with it. */
  publicKey?: string;
  /** The checksums file's volumes, for the problem. */
  volumes?: number[];
}

export interface ChainResult {
  /** sha256 of the checksums file. */
  identity: string;
  signature: SignatureStatus;
  /** Fingerprint of the key the signature was checked with. */
  signedBy?: string;
  problems: ArchiveProblem[];
}

export function checkChain(input: ChainInput): ChainResult {
  const problems: ArchiveProblem[] = [];
  const identity = archiveIdentity(input.checksums);
  if (identity !== input.identity) {
    problems.push({ kind: 'IDENTITY_MISMATCH', member: CHECKSUMS_FILE, ...(input.volumes ? { volumes: input.volumes } : {}), message: `${CHECKSUMS_FILE} has sha256 ${identity}, but the volumes name archive ${input.identity}: the checksums file was changed` });
  }
  const recorded = input.metadata?.signedBy;
  const keyId = input.publicKey === undefined ? undefined : publicKeyFingerprint(input.publicKey);
  const result = (signature: SignatureStatus): ChainResult => ({ identity, signature, ...(keyId ? { signedBy: keyId } : {}), problems });

  if (input.signature === undefined) {
    if (typeof recorded === 'string') {
      problems.push({ kind: 'SIGNATURE', member: SIGNATURE_FILE, message: `the archive's metadata records that it was signed (key ${recorded}), but it has no ${SIGNATURE_FILE}: the signature was removed` });
    } else if (keyId !== undefined) {
      problems.push({ kind: 'SIGNATURE', member: SIGNATURE_FILE, message: `the archive is not signed (no ${SIGNATURE_FILE}), and a key was given: a signature that checks with ${keyId} is required` });
    }
    return result('unsigned');
  }
  if (input.publicKey === undefined) return result('not-checked');
  let valid = false;
  try {
    valid = verifySignature(input.checksums, input.signature, input.publicKey, SIGNATURE_FILE);
  } catch (err) {
    if (!(err instanceof FerryError)) throw err;
    problems.push({ kind: 'SIGNATURE', member: SIGNATURE_FILE, message: err.message });
    return result('invalid');
  }
  if (!valid) problems.push({ kind: 'SIGNATURE', member: SIGNATURE_FILE, message: `${SIGNATURE_FILE} is not a valid signature of ${CHECKSUMS_FILE} by the key ${keyId}` });
  return result(valid ? 'valid' : 'invalid');
}

/** The problems of one member whose sha256 is `hex`: against the checksums' `listed` sha256, and a blob against its own name. `where` ends the messages. */
export function memberProblems(member: { name: string; size: number; volumes?: number[] }, hex: string, listed: ReadonlyMap<string, string>, where = ''): ArchiveProblem[] {
  const { name, volumes } = member;
  const problems: ArchiveProblem[] = [];
  const at = volumes ? { volumes } : {};
  const expected = listed.get(name);
  if (expected === undefined) problems.push({ kind: 'NOT_LISTED', member: name, ...at, message: `member ${name} (${member.size} bytes) is not listed in ${CHECKSUMS_FILE}` });
  else if (expected !== hex) problems.push({ kind: 'CHECKSUM_MISMATCH', member: name, ...at, message: `member ${name}: sha256 ${hex}, ${CHECKSUMS_FILE} says ${expected}${where}` });
  const blob = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(name);
  if (blob !== null && blob[1] !== hex) problems.push({ kind: 'DIGEST_MISMATCH', member: name, ...at, message: `blob ${name}: its content has digest sha256:${hex}, not the one its name gives${where}` });
  return problems;
}
