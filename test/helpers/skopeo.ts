import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { removeDir, removeOnExit } from './cleanup.js';
import { run } from './exec.js';
import { tempDir } from './paths.js';

/*
 * skopeo, as an independent client for interop checks. Every call is asynchronous: the token server
 * and fault proxy live in this process, and a synchronous spawn would stop them from answering.
 */

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** What skopeo needs to know about a registry (a TestRegistry fits; so does a FaultProxy's host). */
export interface RegistryEndpoint {
  host: string;
  tls?: boolean;
  certDir?: string;
  username?: string;
  password?: string;
}

/** Credentials to use: the registry's own (default), explicit ones, or none at all. */
export type SkopeoCreds = 'registry' | 'anonymous' | { username: string; password: string };

/**
 * skopeo flags for talking to registry. role 'src' / 'dest' give copy's --src-* / --dest-* flags;
 * 'plain' gives inspect's. TLS registries get --cert-dir (a dir holding only ca.crt), plain ones
 * --tls-verify=false (skopeo then falls back to http).
 */
export function skopeoArgsFor(registry: RegistryEndpoint, role: 'src' | 'dest' | 'plain' = 'plain', creds: SkopeoCreds = 'registry'): string[] {
  const prefix = role === 'plain' ? '--' : `--${role}-`;
  const args = registry.tls
    ? [`${prefix}tls-verify=true`, ...(registry.certDir ? [`${prefix}cert-dir`, registry.certDir] : [])]
    : [`${prefix}tls-verify=false`];
  if (creds === 'anonymous') {
    args.push(`${prefix}no-creds`);
  } else if (creds === 'registry') {
    if (registry.username !== undefined) args.push(`${prefix}creds`, `${registry.username}:${registry.password ?? ''}`);
  } else {
    args.push(`${prefix}creds`, `${creds.username}:${creds.password}`);
  }
  return args;
}

let skopeoHome: string | undefined;
/** skopeo's environment: no stray auth files or registry configuration from the user. */
function skopeoEnv(): NodeJS.ProcessEnv {
  if (!skopeoHome) {
    skopeoHome = tempDir('ferry-skopeo-home-');
    removeOnExit(skopeoHome);
  }
  const home = skopeoHome;
  return { ...process.env, HOME: home, XDG_RUNTIME_DIR: home, REGISTRY_AUTH_FILE: path.join(home, 'auth.json'), DOCKER_CONFIG: home };
}

const TRANSPORT = /^(docker:\/\/|oci:|oci-archive:|dir:|docker-archive:|docker-daemon:|containers-storage:)/;
/** References without a transport are registry references. */
const withTransport = (ref: string): string => (TRANSPORT.test(ref) ? ref : `docker://${ref}`);

/** `skopeo inspect --raw`: the manifest bytes exactly as the registry serves them. Throws on failure. */
export async function skopeoInspectRaw(reference: string, registry?: RegistryEndpoint, creds: SkopeoCreds = 'registry'): Promise<Buffer> {
  const r = await skopeo(['inspect', '--raw', ...(registry ? skopeoArgsFor(registry, 'plain', creds) : []), withTransport(reference)]);
  if (r.status !== 0) throw new Error(`skopeo inspect ${reference} failed:\n${r.stderr.trim()}`);
  return r.stdoutBytes;
}

/** sha256 digest of the manifest bytes skopeo inspect --raw gets for reference. */
export async function skopeoDigest(reference: string, registry?: RegistryEndpoint, creds: SkopeoCreds = 'registry'): Promise<string> {
  return sha256Digest(await skopeoInspectRaw(reference, registry, creds));
}

export interface SkopeoCopyOptions {
  src?: RegistryEndpoint;
  dest?: RegistryEndpoint;
  srcCreds?: SkopeoCreds;
  destCreds?: SkopeoCreds;
  /** --all (every platform of an index). Default true. */
  all?: boolean;
}

/** skopeo copy; resolves the digest of the manifest written (from --digestfile). Throws on failure. */
export async function skopeoCopy(source: string, destination: string, options: SkopeoCopyOptions = {}): Promise<string> {
  const r = await trySkopeoCopy(source, destination, options);
  if (r.status !== 0) throw new Error(`skopeo copy ${source} ${destination} failed:\n${r.stderr.trim()}`);
  return r.digest!;
}

/** skopeo copy that reports failure instead of throwing (to check that bad credentials fail). */
export async function trySkopeoCopy(
  source: string,
  destination: string,
  options: SkopeoCopyOptions = {},
): Promise<{ status: number; stderr: string; digest?: string }> {
  const digestFile = path.join(tempDir('ferry-skopeo-digest-'), 'digest');
  try {
    return await copyWith(digestFile, source, destination, options);
  } finally {
    removeDir(path.dirname(digestFile));
  }
}

async function copyWith(
  digestFile: string,
  source: string,
  destination: string,
  options: SkopeoCopyOptions,
): Promise<{ status: number; stderr: string; digest?: string }> {
  const args = [
    'copy',
    '--retry-times', '0',
    '--preserve-digests',
    '--digestfile', digestFile,
    ...(options.all === false ? [] : ['--all']),
    ...(options.src ? skopeoArgsFor(options.src, 'src', options.srcCreds) : []),
    ...(options.dest ? skopeoArgsFor(options.dest, 'dest', options.destCreds) : []),
    withTransport(source),
    withTransport(destination),
  ];
  const r = await skopeo(args);
  const digest = r.status === 0 && existsSync(digestFile) ? readFileSync(digestFile, 'utf8').trim() : undefined;
  return { status: r.status, stderr: r.stderr, digest };
}

function skopeo(args: string[]): ReturnType<typeof run> {
  // --insecure-policy: no dependence on /etc/containers/policy.json.
  return run('skopeo', ['--insecure-policy', ...args], { env: skopeoEnv() });
}
