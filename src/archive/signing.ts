/**
 * Detached ed25519 signatures for archives, with node:crypto only.
 *
 * Keys are PEM files: the private key PKCS#8 (`-----BEGIN PRIVATE KEY-----`, unencrypted), the
 * public key SPKI (`-----BEGIN PUBLIC KEY-----`). These are the forms `ferry keygen` writes and
 * `openssl genpkey -algorithm ed25519` / `openssl pkey -pubout` make, so either tool's keys work.
 *
 * Signature file: the 64-byte raw ed25519 signature (RFC 8032, "pure" Ed25519 over the data as is,
 * no pre-hash) in standard base64 with padding, 88 characters, followed by one LF. Readers also
 * accept it without the LF or with CRLF. The raw bytes are what OpenSSL uses, so a receiver can check
 * a signature without ferry:
 *
 *     base64 -d checksums.sig > sig.bin
 *     openssl pkeyutl -verify -pubin -inkey ferry-signing.pub -rawin -in SHA256SUMS -sigfile sig.bin
 *
 * Fingerprint of a public key: `SHA256:` + base64 (no padding) of the sha256 of the raw 32-byte
 * ed25519 public key, in the style of ssh. (ssh hashes its own wire encoding of the key, so the value
 * differs from `ssh-keygen -l` for the same key.)
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify, randomBytes, type KeyObject } from 'node:crypto';
import { link, lstat, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ExitCode, FerryError, NotFoundError, UsageError } from '../errors.js';

/** Length of a raw ed25519 signature. */
export const SIGNATURE_BYTES = 64;
/** A key file larger than this is certainly not a key (an ed25519 PEM is about 120 bytes). */
const MAX_KEY_FILE = 64 * 1024;

/** A key ferry cannot use: not PEM, not ed25519, encrypted, or the wrong half of the pair (exit 3). */
export class KeyError extends FerryError {
  constructor(message: string, suggestions?: string[]) {
    super('INVALID_KEY', message, ExitCode.invalidInput, { suggestions });
    this.name = 'KeyError';
  }
}

/** A signature file that is not one base64-encoded 64-byte signature (exit 6: the archive is damaged). */
export class SignatureFileError extends FerryError {
  constructor(message: string) {
    super('INVALID_SIGNATURE', message, ExitCode.integrity);
    this.name = 'SignatureFileError';
  }
}

export interface KeyPairPem {
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  /** SPKI PEM. */
  publicKeyPem: string;
}

/** A new ed25519 key pair. */
export function generateKeyPair(): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** The 64-byte raw ed25519 signature of `data`. Throws KeyError when the key is not an unencrypted ed25519 private key. */
export function sign(data: Buffer, privateKeyPem: string): Buffer {
  return cryptoSign(null, data, privateKeyObject(privateKeyPem, 'the private key'));
}

/** The signature file's text: base64 of the 64 raw bytes and a newline. */
export function signatureFile(signature: Buffer): string {
  if (signature.length !== SIGNATURE_BYTES) throw new FerryError('INTERNAL', `an ed25519 signature has ${SIGNATURE_BYTES} bytes, got ${signature.length}`);
  return `${signature.toString('base64')}\n`;
}

/**
 * The raw signature in a signature file's content; throws SignatureFileError (INVALID_SIGNATURE,
 * exit 6) unless it is exactly 88 characters of canonical base64 encoding 64 bytes, optionally
 * followed by LF or CRLF. `source` names the file in the message.
 */
export function parseSignatureFile(content: Buffer | string, source = 'signature file'): Buffer {
  const text = typeof content === 'string' ? content : content.toString('latin1');
  const body = text.replace(/\r?\n$/, '');
  const raw = /^[A-Za-z0-9+/]+={0,2}$/.test(body) ? Buffer.from(body, 'base64') : undefined;
  if (raw === undefined || raw.length !== SIGNATURE_BYTES || raw.toString('base64') !== body) {
    throw new SignatureFileError(`${source} is not a ferry signature: expected one line of base64 holding a ${SIGNATURE_BYTES}-byte ed25519 signature`);
  }
  return raw;
}

/**
 * True when `signatureFileContent` (the signature file's text, see {@link signatureFile}) is a valid
 * signature of `data` by the private key matching `publicKeyPem`; false for any other well-formed
 * signature. Throws SignatureFileError for a malformed signature file and KeyError for an unusable
 * key. `source` names the signature file in messages.
 */
export function verifySignature(data: Buffer, signatureFileContent: Buffer | string, publicKeyPem: string, source?: string): boolean {
  const key = publicKeyObject(publicKeyPem, 'the public key');
  const raw = parseSignatureFile(signatureFileContent, source);
  return cryptoVerify(null, data, key, raw);
}

/** `SHA256:<base64 of sha256 of the raw 32-byte public key, no padding>`. */
export function publicKeyFingerprint(publicKeyPem: string): string {
  const raw = rawPublicKey(publicKeyObject(publicKeyPem, 'the public key'));
  return `SHA256:${createHash('sha256').update(raw).digest('base64').replace(/=+$/, '')}`;
}

/** The SPKI PEM public key of a private key. */
export function publicKeyFromPrivate(privateKeyPem: string): string {
  return createPublicKey(privateKeyObject(privateKeyPem, 'the private key')).export({ type: 'spki', format: 'pem' }) as string;
}

/**
 * Reads an ed25519 private key file (PKCS#8 PEM, unencrypted) and returns it as PKCS#8 PEM. Throws
 * NotFoundError (exit 5) when the file does not exist, KeyError (INVALID_KEY, exit 3, naming the
 * file) when it is not such a key.
 */
export async function loadPrivateKey(file: string): Promise<string> {
  const pem = await readKeyFile(file, 'private key');
  return privateKeyObject(pem, file).export({ type: 'pkcs8', format: 'pem' }) as string;
}

/**
 * Reads an ed25519 public key file (SPKI PEM) and returns it as SPKI PEM. Refuses a private key
 * file (the public half is what a receiver should hold). Errors as for {@link loadPrivateKey}.
 */
export async function loadPublicKey(file: string): Promise<string> {
  const pem = await readKeyFile(file, 'public key');
  return publicKeyObject(pem, file).export({ type: 'spki', format: 'pem' }) as string;
}

/** The two files of a key pair. */
export interface KeyPairFiles {
  /** Absolute path of the private key (PREFIX.key). */
  privateKey: string;
  /** Absolute path of the public key (PREFIX.pub). */
  publicKey: string;
  /** See {@link publicKeyFingerprint}. */
  fingerprint: string;
}

/**
 * The files of the key pair `prefix` names: `PREFIX.key` and `PREFIX.pub`, made absolute. A prefix
 * given with a `.key` or `.pub` suffix is taken without it (`ferry.key` → `ferry`). Throws
 * UsageError for an empty prefix or one that ends in a path separator.
 */
export function keyPairPaths(prefix: string): { privateKey: string; publicKey: string } {
  if (prefix === '' || /[/\\]$/.test(prefix)) {
    throw new UsageError(`invalid --output "${prefix}": expected a file name prefix such as keys/ferry-signing (ferry writes PREFIX.key and PREFIX.pub)`);
  }
  const base = path.resolve(prefix.replace(/\.(key|pub)$/, ''));
  return { privateKey: `${base}.key`, publicKey: `${base}.pub` };
}

/**
 * Generates a key pair and writes it to `PREFIX.key` (private, mode 0600) and `PREFIX.pub` (public,
 * mode 0644), creating the folder if needed. Each file is written to a temp file beside it (the
 * private one created 0600 from the start), flushed, then moved into place. Without `force`, an
 * existing file is never replaced (UsageError, exit 2, nothing written): files are put in place with
 * link(2), which fails rather than overwrite, so a file created meanwhile is not lost either.
 */
export async function writeKeyPair(prefix: string, options: { force?: boolean } = {}): Promise<KeyPairFiles> {
  const files = keyPairPaths(prefix);
  const force = options.force === true;
  const targets = [files.privateKey, files.publicKey];
  const existing: string[] = [];
  for (const t of targets) {
    const s = await lstat(t).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      if (err.code === 'ENOTDIR') throw new UsageError(`invalid --output: a parent of ${t} is a file, not a folder`);
      throw err;
    });
    if (s?.isDirectory()) throw new UsageError(`${t} is a directory; choose another --output prefix`);
    if (s !== undefined) existing.push(t);
  }
  if (existing.length > 0 && !force) throw refuseOverwrite(existing);

  const pair = generateKeyPair();
  await mkdir(path.dirname(files.privateKey), { recursive: true });
  const temps: string[] = [];
  const committed: string[] = [];
  try {
    const privateTemp = await writeTemp(files.privateKey, pair.privateKeyPem, 0o600, temps);
    const publicTemp = await writeTemp(files.publicKey, pair.publicKeyPem, 0o644, temps);
    for (const [temp, target] of [[privateTemp, files.privateKey], [publicTemp, files.publicKey]] as const) {
      if (force) await rename(temp, target);
      else {
        await linkNoClobber(temp, target);
        await rm(temp, { force: true });
      }
      committed.push(target);
    }
  } catch (err) {
    // Without --force every committed file is one this call created: take it back, so a failure
    // leaves no half pair behind.
    if (!force) for (const c of committed) await rm(c, { force: true });
    throw err;
  } finally {
    for (const t of temps) await rm(t, { force: true });
  }
  return { ...files, fingerprint: publicKeyFingerprint(pair.publicKeyPem) };
}

function refuseOverwrite(existing: string[]): UsageError {
  return new UsageError(`${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}; nothing was written`, [
    'pass --force to replace the key pair (archives signed with the old key will no longer verify with the new public key)',
    'or choose another --output prefix',
  ]);
}

/** Writes `data` to a new temp file beside `target`, created with `mode`, flushed; records it in `temps`. */
async function writeTemp(target: string, data: string, mode: number, temps: string[]): Promise<string> {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  temps.push(temp);
  try {
    // The umask may have narrowed the mode; set it exactly (best effort: some file systems, FAT for
    // one, have no modes; the private key's mode was at most 0600 from creation on anyway).
    await handle.chmod(mode).catch(() => undefined);
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
}

/** Puts `temp` at `target` unless `target` exists, without a window in which another writer's file could be replaced. */
async function linkNoClobber(temp: string, target: string): Promise<void> {
  try {
    await link(temp, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw refuseOverwrite([target]);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    // File systems without hard links (FAT): check, then rename.
    const exists = await lstat(target).then(() => true, () => false);
    if (exists) throw refuseOverwrite([target]);
    await rename(temp, target);
  }
}

async function readKeyFile(file: string, what: string): Promise<string> {
  let size: number;
  try {
    const s = await stat(file);
    if (s.isDirectory()) throw new KeyError(`${file} is a directory, not a ${what} file`);
    size = s.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`${what} file ${file} does not exist`);
    throw err;
  }
  if (size > MAX_KEY_FILE) throw new KeyError(`${file} is not a ${what} file: ${size} bytes is far too large for a PEM key`);
  return (await readFile(file)).toString('latin1');
}

const KEY_HINTS = ['create a key pair with `ferry keygen`, or with `openssl genpkey -algorithm ed25519 -out KEY` and `openssl pkey -in KEY -pubout -out PUB`'];

/** The first PEM label in `text` (`PRIVATE KEY`, `PUBLIC KEY`, ...). */
function pemLabel(text: string): string | undefined {
  return /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)?.[1];
}

/** Refuses forms ferry does not read, naming `source`; returns normally for the `expected` PEM label. */
function checkKeyForm(text: string, source: string, expected: 'PRIVATE KEY' | 'PUBLIC KEY'): void {
  const label = pemLabel(text);
  const what = expected === 'PRIVATE KEY' ? 'an ed25519 private key' : 'an ed25519 public key';
  if (label === expected) return;
  if (label === undefined) {
    if (/^\s*ssh-(ed25519|rsa|dss)|^\s*ecdsa-sha2-/.test(text)) throw new KeyError(`${source} is an OpenSSH public key; ferry reads PEM (SPKI) public keys only`, KEY_HINTS);
    throw new KeyError(`${source} is not a PEM key file (expected ${what})`, KEY_HINTS);
  }
  if (label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type: *4,ENCRYPTED/.test(text)) {
    throw new KeyError(`${source} is an encrypted private key; ferry reads unencrypted keys only`, [
      `decrypt a copy with \`openssl pkey -in ${source} -out DECRYPTED.key\` and keep it as safe as the original`,
    ]);
  }
  if (label === 'OPENSSH PRIVATE KEY') throw new KeyError(`${source} is an OpenSSH private key; ferry reads PEM (PKCS#8) keys only`, KEY_HINTS);
  if (label === 'CERTIFICATE') throw new KeyError(`${source} is a certificate, not ${what}`, KEY_HINTS);
  if (expected === 'PUBLIC KEY' && /PRIVATE KEY$/.test(label)) {
    throw new KeyError(`${source} holds a private key; give the public key (the .pub file) to verify, and keep the private key to yourself`);
  }
  if (expected === 'PRIVATE KEY' && /PUBLIC KEY$/.test(label)) {
    throw new KeyError(`${source} holds a public key; signing needs the private key (the .key file)`);
  }
  if (/^(RSA|EC|DSA) (PRIVATE|PUBLIC) KEY$/.test(label)) throw new KeyError(`${source} holds a key of type ${label.split(' ')[0]}; ferry signs with ed25519 only`, KEY_HINTS);
  throw new KeyError(`${source} holds a PEM "${label}" block, not ${what}`, KEY_HINTS);
}

function privateKeyObject(pem: string, source: string): KeyObject {
  return ed25519KeyObject(pem, source, 'private');
}

function publicKeyObject(pem: string, source: string): KeyObject {
  return ed25519KeyObject(pem, source, 'public');
}

function ed25519KeyObject(pem: string, source: string, kind: 'private' | 'public'): KeyObject {
  checkKeyForm(pem, source, kind === 'private' ? 'PRIVATE KEY' : 'PUBLIC KEY');
  let key: KeyObject;
  try {
    key = kind === 'private' ? createPrivateKey({ key: pem, format: 'pem' }) : createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new KeyError(`${source} is not a readable ${kind} key: ${(err as Error).message}`, KEY_HINTS);
  }
  checkEd25519(key, source);
  return key;
}

function checkEd25519(key: KeyObject, source: string): void {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new KeyError(`${source} holds a key of type ${key.asymmetricKeyType ?? 'unknown'}; ferry signs with ed25519 only`, KEY_HINTS);
  }
}

/** The 32 raw bytes of an ed25519 public key. */
function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.from(jwk.x!, 'base64url');
}
