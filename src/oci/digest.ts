/**
 * Digests (`sha256:<64 lowercase hex>`) and the verifying stream every blob read goes through: it
 * hashes and counts bytes as they pass and fails at the end on a size or digest mismatch, so no
 * consumer ever sees a successful end to bad data.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import { ExitCode, FerryError } from '../errors.js';

const SHA256_RE = /^sha256:[0-9a-f]{64}$/;

export class IntegrityError extends FerryError {
  constructor(message: string) {
    super('INTEGRITY', message, ExitCode.integrity);
    this.name = 'IntegrityError';
  }
}

export class DigestError extends FerryError {
  constructor(readonly input: string) {
    super('INVALID_DIGEST', `invalid digest "${input}": ferry supports sha256:<64 lowercase hex>`, ExitCode.invalidInput);
    this.name = 'DigestError';
  }
}

export function isDigest(value: string): boolean {
  return SHA256_RE.test(value);
}

/** Checks the form of a digest and returns it; throws DigestError. */
export function checkDigest(value: string): string {
  if (!SHA256_RE.test(value)) throw new DigestError(value);
  return value;
}

/** The 64 hex characters of a sha256 digest. */
export function digestHex(digest: string): string {
  return checkDigest(digest).slice('sha256:'.length);
}

export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** What a verifying stream checks: the expected digest and size, and what to name in errors. */
export interface Expected {
  digest: string;
  size: number;
  /** Where the bytes come from, for the error message (an image, a file, a URL). */
  source: string;
}

/**
 * Passes bytes through and fails at the end (before 'end' is emitted) unless exactly `size` bytes
 * with digest `digest` went by. Fails early when more than `size` bytes arrive.
 * `resume` continues a count already started (a download picked up with Range).
 */
export class VerifyingStream extends Transform {
  private readonly hash: Hash;
  private bytes: number;

  constructor(private readonly expected: Expected, resume?: { hash: Hash; bytes: number }) {
    super();
    checkDigest(expected.digest);
    this.hash = resume?.hash ?? createHash('sha256');
    this.bytes = resume?.bytes ?? 0;
  }

  get bytesSeen(): number {
    return this.bytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.expected.size) {
      callback(new IntegrityError(`${this.expected.source}: blob ${this.expected.digest} is larger than its declared ${this.expected.size} bytes`));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    callback(verifyEnd(this.expected, this.bytes, this.hash));
  }
}

/** The error for a finished read, or null when size and digest match. */
export function verifyEnd(expected: Expected, bytes: number, hash: Hash): IntegrityError | null {
  if (bytes !== expected.size) {
    return new IntegrityError(`${expected.source}: blob ${expected.digest} has ${bytes} bytes, expected ${expected.size}`);
  }
  const actual = `sha256:${hash.digest('hex')}`;
  if (actual !== expected.digest) {
    return new IntegrityError(`${expected.source}: blob content does not match its digest: expected ${expected.digest}, got ${actual}`);
  }
  return null;
}

/**
 * `source` piped through a VerifyingStream; a read error or an abort on either side reaches the
 * other, so the caller's stream always ends or errors.
 */
export function verified(source: Readable, expected: Expected): Readable {
  return pipeline(source, new VerifyingStream(expected), () => undefined);
}
