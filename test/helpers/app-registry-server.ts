/**
 * A local App Registry ("Quay CNR") for tests: node:http on 127.0.0.1 (random port) speaking the
 * App Registry protocol (as operator-registry's appregistry client and Quay's CNR API speak it) under
 * `<url>` = `http://127.0.0.1:PORT/cnr`, serving package-manifest folders it is given: by default the
 * synthetic ones of helpers/synthetic-app-registry.ts (the conformance suite serves real operators
 * of the shared corpus the same way, test/conformance/corpus-app-registry.ts).
 *
 * - Nested blobs: a gzip tar of the package folder, byte for byte, as `<repo>/<file>` with
 *   folder entries (`<repo>/etcd.package.yaml`, `<repo>/0.9.2/...`).
 * - Flattened blobs: a gzip tar of one file, `bundle.yaml` (operator-courier's name), made the way the
 *   App Registry era made them: a document whose `data` holds `customResourceDefinitions`,
 *   `clusterServiceVersions` and `packages` (in that order), each a YAML string of a list. The lists
 *   are the CSVs reachable from the channel heads (head first, along replaces/skips), the CRDs of
 *   their folders (one per name, the newest folder's wins) and the package manifest. Flattened files
 *   are generated from the folders; each is checked to read back (with ferry's
 *   go-yaml-compatible reader) as exactly the objects it was made from.
 * - Older releases: a release may name its own channel heads; it then holds only the CSVs reachable
 *   from them (nested: those CSV files plus the other files of their folders, and the package file
 *   re-written with the new heads).
 * - Auth: every request must carry the token verbatim as Authorization (401 otherwise), unless the
 *   server runs with `token: null`.
 * - Faults: `tamper` per package (a blob whose bytes do not match its digest, or whose tar escapes its
 *   folder in one of several ways), `failFirst` (503 for the first N requests), and
 *   `echoAuthorization` (401 bodies quote the Authorization received, to test that clients scrub it).
 * Every request is recorded.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { gzipSync } from 'node:zlib';
import { dump, YAML11_SCHEMA } from 'js-yaml';
import { Header, type HeaderData } from 'tar';
import { parseYamlStream } from '../../src/catalog/manifests/yaml.js';
import { syntheticAppRegistryPackages } from './synthetic-app-registry.js';

export type Tamper =
  /** The blob's bytes differ from what its release metadata's digest says (same size). */
  | 'bad-digest'
  /** The tar ends with a file entry `../evil`. */
  | 'escape'
  /** The tar ends with a file entry at an absolute path (`evilEntry` of the served package). */
  | 'absolute'
  /** The tar holds a symbolic link pointing far outside its folder. */
  | 'symlink'
  /** The tar holds a character device entry. */
  | 'device';

export interface ServedReleaseSpec {
  release: string;
  /** Channel heads of this (older) release; absent: the package as it is in its folder. */
  channels?: { name: string; currentCSV: string }[];
}

export interface ServedPackageSpec {
  /** Repository name in the namespace. */
  repo: string;
  /** The package-manifest folder served. */
  dir: string;
  layout: 'nested' | 'flattened';
  releases: ServedReleaseSpec[];
  /** The listing's `default`; default: the last release. */
  defaultRelease?: string;
  tamper?: Tamper;
}

export interface AppRegistryServerOptions {
  /** Default `ferry-test`. */
  namespace?: string;
  /** The token clients must send; default a random `basic <base64>`; null: no auth required. */
  token?: string | null;
  /** Default: the synthetic packages of helpers/synthetic-app-registry.ts. */
  packages?: ServedPackageSpec[];
  /** Further namespaces that exist but hold no packages. */
  emptyNamespaces?: string[];
  /** Answer the first N requests with 503. */
  failFirst?: number;
  /** Quote the received Authorization header in 401 bodies (a careless server). */
  echoAuthorization?: boolean;
}

export interface ServedRelease {
  release: string;
  /** sha256 hex of the blob as advertised in the release metadata. */
  digest: string;
  size: number;
  /** Every CSV name in the blob. */
  csvs: string[];
  /** Channel → head CSV. */
  channels: Record<string, string>;
  defaultChannel: string;
  /** The text of a flattened blob's one file, as served. */
  flattened?: string;
}

export interface ServedPackage {
  repo: string;
  /** `namespace/repo`, as listed. */
  name: string;
  /** The package-manifest folder served. */
  dir: string;
  packageName: string;
  layout: 'nested' | 'flattened';
  defaultRelease: string;
  releases: ServedRelease[];
  tamper?: Tamper;
  /** The offending tar entry name (or link target) of a tampered tar. */
  evilEntry?: string;
}

export interface RecordedAppRegistryRequest {
  method: string;
  /** Path below the server root, e.g. `/cnr/api/v1/packages`. */
  path: string;
  query: Record<string, string>;
  authorization?: string;
  accept?: string;
  status: number;
}

export interface AppRegistryServer {
  /** The endpoint base, `http://127.0.0.1:PORT/cnr`. */
  url: string;
  /** The token to pass (null when the server requires none). */
  token: string | null;
  namespace: string;
  emptyNamespaces: string[];
  packages: ServedPackage[];
  requests: RecordedAppRegistryRequest[];
  /** Forgets the recorded requests. */
  reset(): void;
  stop(): Promise<void>;
}

type Doc = Record<string, unknown>;

interface PackageFile {
  /** Path relative to the package folder, `/`-separated. */
  rel: string;
  bytes: Buffer;
  /** First document, when the file has one that is a mapping. */
  first?: Doc;
}

interface PackageFileDoc {
  packageName: string;
  channels: { name: string; currentCSV: string }[];
  defaultChannel?: string;
}

function readPackageFolder(root: string): PackageFile[] {
  const out: PackageFile[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile()) {
        const bytes = readFileSync(full);
        const docs = parseYamlStream(bytes.toString('utf8'));
        const first = docs[0];
        out.push({ rel: path.relative(root, full).split(path.sep).join('/'), bytes, ...(isDoc(first) ? { first } : {}) });
      }
    }
  };
  walk(root);
  return out;
}

function isDoc(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const kindOf = (d: Doc | undefined): string => (typeof d?.['kind'] === 'string' ? d['kind'] : '');
const nameOf = (d: Doc): string => String((d['metadata'] as Doc | undefined)?.['name'] ?? '');
const isPackageDoc = (d: Doc | undefined): boolean => d !== undefined && d['packageName'] !== undefined && d['kind'] === undefined;

/** CSV files reachable from `heads` along replaces and skips, head first (breadth first). */
function reachable(heads: string[], csvs: Map<string, PackageFile>): PackageFile[] {
  const seen = new Set<string>();
  const order: PackageFile[] = [];
  const queue = [...heads];
  while (queue.length > 0) {
    const name = queue.shift()!;
    const file = csvs.get(name);
    if (seen.has(name) || file === undefined) continue;
    seen.add(name);
    order.push(file);
    const spec = (file.first!['spec'] ?? {}) as Doc;
    if (typeof spec['replaces'] === 'string') queue.push(spec['replaces']);
    if (Array.isArray(spec['skips'])) queue.push(...spec['skips'].map(String));
  }
  return order;
}

const dumpYaml = (value: unknown): string => dump(value, { schema: YAML11_SCHEMA, lineWidth: -1, noRefs: true });

/** The package as served for one release: tar entries (before any tampering) and what it holds. */
function buildRelease(spec: ServedPackageSpec, release: ServedReleaseSpec): { entries: TarSpec[]; csvs: string[]; pkg: PackageFileDoc; flattened?: string } {
  const files = readPackageFolder(spec.dir);
  const pkgFile = files.find((f) => isPackageDoc(f.first));
  if (!pkgFile) throw new Error(`package folder ${spec.dir} has no package file`);
  const original = pkgFile.first as unknown as PackageFileDoc;
  const channels = release.channels ?? original.channels.map((c) => ({ name: c.name, currentCSV: c.currentCSV }));
  const defaultChannel =
    typeof original.defaultChannel === 'string' && channels.some((c) => c.name === original.defaultChannel) ? original.defaultChannel : (channels[0]?.name ?? '');
  const pkg: PackageFileDoc = { packageName: original.packageName, channels, ...(defaultChannel ? { defaultChannel } : {}) };
  const csvFiles = new Map(files.filter((f) => kindOf(f.first) === 'ClusterServiceVersion').map((f) => [nameOf(f.first!), f]));
  const members = reachable(
    channels.map((c) => c.currentCSV),
    csvFiles,
  );
  const folderOf = (f: PackageFile): string => path.posix.dirname(f.rel);

  if (spec.layout === 'nested') {
    let chosen: PackageFile[];
    let csvs: string[];
    if (release.channels === undefined) {
      chosen = files;
      csvs = [...csvFiles.keys()];
    } else {
      const keepCsv = new Set(members);
      const folders = new Set(members.map(folderOf));
      chosen = files.filter((f) => f === pkgFile || keepCsv.has(f) || (kindOf(f.first) !== 'ClusterServiceVersion' && !isPackageDoc(f.first) && folders.has(folderOf(f))));
      csvs = members.map((f) => nameOf(f.first!));
    }
    const entries: TarSpec[] = [{ type: 'Directory', path: `${spec.repo}/` }];
    const dirs = new Set<string>();
    for (const f of chosen) {
      const parts = f.rel.split('/').slice(0, -1);
      for (let i = 1; i <= parts.length; i++) {
        const d = parts.slice(0, i).join('/');
        if (!dirs.has(d)) {
          dirs.add(d);
          entries.push({ type: 'Directory', path: `${spec.repo}/${d}/` });
        }
      }
      const bytes = f === pkgFile && release.channels !== undefined ? Buffer.from(dumpYaml(pkg)) : f.bytes;
      entries.push({ type: 'File', path: `${spec.repo}/${f.rel}`, body: bytes });
    }
    return { entries, csvs, pkg };
  }

  // Flattened: the CSVs reachable from the heads, the CRDs of their folders (newest first wins), the package.
  const crds = new Map<string, Doc>();
  for (const csv of members) {
    for (const f of files) {
      if (folderOf(f) !== folderOf(csv) || kindOf(f.first) !== 'CustomResourceDefinition') continue;
      const name = nameOf(f.first!);
      if (!crds.has(name)) crds.set(name, f.first!);
    }
  }
  const lists = {
    customResourceDefinitions: [...crds.values()],
    clusterServiceVersions: members.map((f) => f.first!),
    packages: [pkg],
  };
  const data = {
    customResourceDefinitions: dumpYaml(lists.customResourceDefinitions),
    clusterServiceVersions: dumpYaml(lists.clusterServiceVersions),
    packages: dumpYaml(lists.packages),
  };
  const text = dumpYaml({ data });
  // The generated file must read back as exactly what it was made from.
  const back = parseYamlStream(text)[0] as { data: Record<string, string> };
  for (const key of Object.keys(lists) as (keyof typeof lists)[]) {
    if (!isDeepStrictEqual(parseYamlStream(back.data[key]!)[0], JSON.parse(JSON.stringify(lists[key])))) {
      throw new Error(`flattened ${spec.repo}:${release.release}: data.${key} does not read back as generated`);
    }
  }
  return { entries: [{ type: 'File', path: 'bundle.yaml', body: Buffer.from(text) }], csvs: members.map((f) => nameOf(f.first!)), pkg, flattened: text };
}

interface TarSpec {
  type: 'File' | 'Directory' | 'SymbolicLink' | 'CharacterDevice';
  path: string;
  body?: Buffer;
  linkpath?: string;
}

/** A tar with exactly these entries, names as given (nothing normalized or stripped). */
function makeTar(entries: TarSpec[]): Buffer {
  const chunks: Buffer[] = [];
  for (const e of entries) {
    const size = e.type === 'File' ? (e.body?.length ?? 0) : 0;
    const data: HeaderData = {
      path: e.path,
      type: e.type,
      size,
      mode: e.type === 'Directory' ? 0o755 : 0o644,
      mtime: new Date(0),
      uid: 0,
      gid: 0,
      ...(e.linkpath === undefined ? {} : { linkpath: e.linkpath }),
    };
    const header = new Header(data);
    header.encode();
    if (header.needPax || !header.block) throw new Error(`tar entry ${e.path}: name too long for a plain ustar header`);
    chunks.push(header.block);
    if (size > 0) {
      chunks.push(e.body!);
      const pad = (512 - (size % 512)) % 512;
      if (pad > 0) chunks.push(Buffer.alloc(pad));
    }
  }
  chunks.push(Buffer.alloc(1024));
  return Buffer.concat(chunks);
}

function tamperEntries(spec: ServedPackageSpec, entries: TarSpec[]): { entries: TarSpec[]; evilEntry?: string } {
  switch (spec.tamper) {
    case 'escape':
      return { entries: [...entries, { type: 'File', path: '../evil', body: Buffer.from('written outside the package folder\n') }], evilEntry: '../evil' };
    case 'absolute': {
      const p = path.posix.join('/tmp', `ferry-appregistry-evil-${randomBytes(6).toString('hex')}`);
      return { entries: [...entries, { type: 'File', path: p, body: Buffer.from('absolute\n') }], evilEntry: p };
    }
    case 'symlink': {
      const p = `${spec.repo}/escape-link.yaml`;
      return { entries: [...entries, { type: 'SymbolicLink', path: p, linkpath: '../../../../../../../../etc/passwd' }], evilEntry: p };
    }
    case 'device': {
      const p = `${spec.repo}/null`;
      return { entries: [...entries, { type: 'CharacterDevice', path: p }], evilEntry: p };
    }
    default:
      return { entries };
  }
}

function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function startAppRegistryServer(options: AppRegistryServerOptions = {}): Promise<AppRegistryServer> {
  const namespace = options.namespace ?? 'ferry-test';
  const token = options.token === undefined ? `basic ${Buffer.from(`ferry:${randomBytes(12).toString('hex')}`).toString('base64')}` : options.token;
  const emptyNamespaces = options.emptyNamespaces ?? [];
  const specs = options.packages ?? syntheticAppRegistryPackages();

  /** repo → release → the bytes served and the metadata. */
  const blobs = new Map<string, Map<string, { served: Buffer; digest: string }>>();
  const packages: ServedPackage[] = [];
  for (const spec of specs) {
    const releases: ServedRelease[] = [];
    const byRelease = new Map<string, { served: Buffer; digest: string }>();
    let evilEntry: string | undefined;
    let packageName = '';
    for (const r of spec.releases) {
      const built = buildRelease(spec, r);
      const tampered = tamperEntries(spec, built.entries);
      evilEntry = tampered.evilEntry;
      const blob = gzipSync(makeTar(tampered.entries));
      const digest = sha256Hex(blob);
      let served = blob;
      if (spec.tamper === 'bad-digest') {
        served = Buffer.from(blob);
        const i = Math.floor(served.length / 2);
        served[i] = served[i]! ^ 0xff;
      }
      byRelease.set(r.release, { served, digest });
      packageName = built.pkg.packageName;
      releases.push({
        release: r.release,
        digest,
        size: blob.length,
        csvs: built.csvs,
        channels: Object.fromEntries(built.pkg.channels.map((c) => [c.name, c.currentCSV])),
        defaultChannel: built.pkg.defaultChannel ?? '',
        ...(built.flattened === undefined ? {} : { flattened: built.flattened }),
      });
    }
    blobs.set(spec.repo, byRelease);
    packages.push({
      repo: spec.repo,
      name: `${namespace}/${spec.repo}`,
      dir: spec.dir,
      packageName,
      layout: spec.layout,
      defaultRelease: spec.defaultRelease ?? spec.releases[spec.releases.length - 1]!.release,
      releases,
      ...(spec.tamper ? { tamper: spec.tamper } : {}),
      ...(evilEntry ? { evilEntry } : {}),
    });
  }

  const requests: RecordedAppRegistryRequest[] = [];
  let failuresLeft = options.failFirst ?? 0;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const record: RecordedAppRegistryRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      ...(req.headers.authorization === undefined ? {} : { authorization: req.headers.authorization }),
      ...(req.headers.accept === undefined ? {} : { accept: req.headers.accept }),
    };
    requests.push(record);
    const send = (status: number, body: Buffer | string | object, type = 'application/json'): void => {
      record.status = status;
      const bytes = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(bytes.length) });
      res.end(bytes);
    };
    const error = (status: number, code: string, message: string): void => send(status, { error: { code, message } });

    if (failuresLeft > 0) {
      failuresLeft--;
      return error(503, 'unavailable', 'try again later');
    }
    if (req.method !== 'GET') return error(405, 'method-not-allowed', 'only GET is served');
    if (token !== null && req.headers.authorization !== token) {
      const echo = options.echoAuthorization ? ` (got Authorization: ${req.headers.authorization ?? 'none'})` : '';
      return error(401, 'unauthorized-access', `Unauthorized access${echo}`);
    }
    const parts = url.pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
    if (parts[0] !== 'cnr' || parts[1] !== 'api' || parts[2] !== 'v1' || parts[3] !== 'packages') return error(404, 'not-found', 'no such endpoint');
    const rest = parts.slice(4);

    if (rest.length === 0) {
      const ns = url.searchParams.get('namespace') ?? '';
      if (ns !== namespace) return send(200, []); // unknown and empty namespaces both list nothing, as Quay did
      return send(
        200,
        packages.map((p) => ({
          name: p.name,
          namespace,
          default: p.defaultRelease,
          releases: p.releases.map((r) => r.release).reverse(),
          channels: [],
          manifests: ['helm'],
          visibility: 'private',
          created_at: '2019-10-01T00:00:00',
          updated_at: '2020-06-01T00:00:00',
        })),
      );
    }
    const [ns, repo] = rest;
    const pkg = packages.find((p) => p.repo === repo);
    if (ns !== namespace || pkg === undefined) return error(404, 'package-not-found', 'package not found');
    if (rest.length === 4 && rest[3] === 'helm') {
      const rel = pkg.releases.find((r) => r.release === rest[2]);
      if (!rel) return error(404, 'package-not-found', `release ${rest[2]} not found`);
      return send(200, {
        package: pkg.name,
        release: rel.release,
        mediaType: 'helm',
        channels: Object.keys(rel.channels),
        created_at: '2020-06-01T00:00:00',
        content: { digest: rel.digest, size: rel.size, mediaType: 'application/vnd.cnr.package.helm.v0.tar+gzip', urls: [] },
      });
    }
    if (rest.length === 5 && rest[2] === 'blobs' && rest[3] === 'sha256') {
      for (const b of blobs.get(pkg.repo)?.values() ?? []) {
        if (b.digest === rest[4]) return send(200, b.served, 'application/x-gzip');
      }
      return error(404, 'blob-not-found', 'blob not found');
    }
    return error(404, 'not-found', 'no such endpoint');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/cnr`,
    token,
    namespace,
    emptyNamespaces,
    packages,
    requests,
    reset: () => {
      requests.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
