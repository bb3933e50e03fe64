import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { htpasswdLine } from './bcrypt.js';
import { removeDir, removeOnExit } from './cleanup.js';
import { tempDir } from './paths.js';
import { makeCertificateAuthority } from './tls.js';
import { startTokenServer, type TokenServer } from './token-server.js';

export type RegistryAuth = 'none' | 'htpasswd' | 'token';

export interface RegistryOptions {
  auth?: RegistryAuth;
  tls?: boolean;
  username?: string;
  password?: string;
  /** Token lifetime for auth: 'token' (seconds, default 300). */
  tokenExpiresIn?: number;
}

export interface TestRegistry {
  auth: RegistryAuth;
  tls: boolean;
  /** "127.0.0.1:PORT", as used in image references. */
  host: string;
  port: number;
  /** "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT". */
  url: string;
  /** The directory holding config, log, storage, htpasswd and certificates. */
  rootDir: string;
  /** storage.filesystem.rootdirectory (blobs live under docker/registry/v2). */
  storageDir: string;
  configFile: string;
  /** CA certificate to trust (tls only). */
  caFile?: string;
  /** A directory holding only ca.crt, for skopeo --cert-dir (tls only). */
  certDir?: string;
  /** Credentials (htpasswd and token only). */
  username?: string;
  password?: string;
  logFile: string;
  /** Everything the registry printed so far (stdout and stderr), one entry per line. */
  logLines(): string[];
  /**
   * SIGTERM and wait for exit (SIGKILL after 5 s); also stops the token server and deletes rootDir
   * (unless FERRY_TEST_KEEP_FILES=1; logLines() stays available). Idempotent; final.
   */
  stop(): Promise<void>;
  /** Stops the registry process and starts it again on the same port and storage. */
  restart(): Promise<void>;
  tokenServer?: TokenServer;
}

export const DEFAULT_USERNAME = 'ferry';
export const DEFAULT_PASSWORD = 'ferry-secret-pw';
const READY_TIMEOUT_MS = 15_000;

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Last resort when a test run dies without calling stop(): never leave registries behind.
    process.once('exit', () => {
      for (const c of liveChildren) c.kill('SIGKILL');
    });
  }
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

/** A port that was free a moment ago (bind to 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const q = (s: string): string => JSON.stringify(s);

function configYaml(o: {
  storageDir: string;
  port: number;
  secret: string;
  tls?: { certFile: string; keyFile: string };
  htpasswdFile?: string;
  token?: TokenServer;
}): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: text',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(o.storageDir)}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: ${q(`127.0.0.1:${o.port}`)}`,
    `  secret: ${q(o.secret)}`,
  ];
  if (o.tls) lines.push('  tls:', `    certificate: ${q(o.tls.certFile)}`, `    key: ${q(o.tls.keyFile)}`);
  lines.push('health:', '  storagedriver:', '    enabled: false');
  if (o.htpasswdFile) lines.push('auth:', '  htpasswd:', '    realm: ferry-test', `    path: ${q(o.htpasswdFile)}`);
  if (o.token) {
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${q(o.token.realm)}`,
      `    service: ${q(o.token.service)}`,
      `    issuer: ${q(o.token.issuer)}`,
      `    rootcertbundle: ${q(o.token.certFile)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** GET /v2/ once; resolves the status, or undefined when nothing answered. */
function probe(url: string, caFile: string | undefined): Promise<number | undefined> {
  return new Promise((resolve) => {
    const target = new URL('/v2/', url);
    const options = { timeout: 1000, ...(caFile ? { ca: readFileSync(caFile) } : {}) };
    const req = (target.protocol === 'https:' ? https : http).get(target, options, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class PortInUse extends Error {}

/**
 * Starts distribution's registry (`docker-registry serve config.yml`, Debian's build of
 * distribution 2.8) on 127.0.0.1 with a free port and fresh storage, and waits until /v2/ answers.
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const auth = options.auth ?? 'none';
  const tls = options.tls ?? false;
  const rootDir = tempDir('ferry-registry-');
  removeOnExit(rootDir);
  const storageDir = path.join(rootDir, 'storage');
  mkdirSync(storageDir);
  const configFile = path.join(rootDir, 'config.yml');
  const logFile = path.join(rootDir, 'registry.log');
  writeFileSync(logFile, '');
  const lines: string[] = [];
  const username = auth === 'none' ? undefined : (options.username ?? DEFAULT_USERNAME);
  const password = auth === 'none' ? undefined : (options.password ?? DEFAULT_PASSWORD);
  const ca = tls ? makeCertificateAuthority(path.join(rootDir, 'tls')) : undefined;
  let htpasswdFile: string | undefined;
  if (auth === 'htpasswd') {
    htpasswdFile = path.join(rootDir, 'htpasswd');
    writeFileSync(htpasswdFile, `${htpasswdLine(username!, password!)}\n`);
  }
  const tokenServer =
    auth === 'token'
      ? await startTokenServer({ username, password, expiresIn: options.tokenExpiresIn, dir: path.join(rootDir, 'issuer') })
      : undefined;
  const secret = randomBytes(16).toString('hex');
  const scheme = tls ? 'https' : 'http';

  let child: ChildProcess | undefined;
  let port = 0;

  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')));

  const collect = (stream: NodeJS.ReadableStream | null): void => {
    let pending = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      appendFileSync(logFile, chunk);
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      lines.push(...parts);
    });
    stream?.on('end', () => {
      if (pending !== '') lines.push(pending);
      pending = '';
    });
  };

  const launch = async (onPort: number): Promise<void> => {
    writeFileSync(
      configFile,
      configYaml({ storageDir, port: onPort, secret, tls: ca, htpasswdFile, token: tokenServer }),
    );
    const startedAt = lines.length;
    const proc = spawn('docker-registry', ['serve', configFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    track(proc);
    collect(proc.stdout);
    collect(proc.stderr);
    let exited = false;
    let spawnError: Error | undefined;
    proc.once('close', () => (exited = true));
    proc.once('error', (e) => {
      spawnError = e;
      exited = true;
    });
    const url = `${scheme}://127.0.0.1:${onPort}`;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (spawnError) throw new Error(`cannot run docker-registry: ${spawnError.message}`);
      const log = lines.slice(startedAt).join('\n');
      if (/address already in use/i.test(log)) {
        await killAndWait(proc); // it lingers for about a second after the fatal log line
        throw new PortInUse(log);
      }
      if (exited) {
        throw new Error(`docker-registry exited before it was ready; log tail:\n${tail(lines)}`);
      }
      const status = await probe(url, ca?.caFile);
      if (status === 200 || status === 401) break;
      if (Date.now() > deadline) {
        await killAndWait(proc);
        throw new Error(`docker-registry did not answer GET ${url}/v2/ within ${READY_TIMEOUT_MS} ms; log tail:\n${tail(lines)}`);
      }
      await sleep(50);
    }
    child = proc;
    port = onPort;
  };

  const launchWithRetries = async (fixedPort?: number): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await launch(fixedPort ?? (await freePort()));
        return;
      } catch (e) {
        if (!(e instanceof PortInUse) || attempt >= 5) {
          throw e instanceof PortInUse ? new Error(`docker-registry: port in use ${attempt} times:\n${e.message}`) : e;
        }
        await sleep(fixedPort ? 200 : 0);
      }
    }
  };

  try {
    await launchWithRetries();
  } catch (e) {
    await tokenServer?.stop();
    throw e;
  }

  const stopProcess = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc) await killAndWait(proc);
  };

  return {
    auth,
    tls,
    host: `127.0.0.1:${port}`,
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    rootDir,
    storageDir,
    configFile,
    caFile: ca?.caFile,
    certDir: ca?.certDir,
    username,
    password,
    logFile,
    logLines: () => [...lines],
    tokenServer,
    async stop() {
      await stopProcess();
      await tokenServer?.stop();
      removeDir(rootDir);
    },
    async restart() {
      await stopProcess();
      await launchWithRetries(port);
    },
  };
}

function tail(lines: string[], n = 30): string {
  return lines.slice(-n).join('\n');
}

function killAndWait(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/** The registry's log once it stops growing (access lines arrive through a pipe). */
export async function settledLog(registry: Pick<TestRegistry, 'logLines'>): Promise<string[]> {
  let lines = registry.logLines();
  for (;;) {
    await new Promise((r) => setTimeout(r, 150));
    const now = registry.logLines();
    if (now.length === lines.length) return now;
    lines = now;
  }
}
