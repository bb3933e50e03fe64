/**
 * The App Registry wire format: the three URLs a download uses (namespace listing, release metadata,
 * blob) and checked readings of the two JSON answers. Anything off-spec in an answer is a REGISTRY
 * error naming the request, never a crash further on.
 */
import { ExitCode, FerryError, UsageError } from '../../errors.js';
import { redactUrl } from '../../oci/registry/errors.js';

/** One repository of a namespace listing. */
export interface ListedPackage {
  namespace: string;
  /** The repository name; also the name of its folder under the working folder. */
  repo: string;
  /** The release the listing marks `default` (the latest), when it gives one. */
  defaultRelease?: string;
  releases: string[];
}

/** The blob of one release, from `content` of the release metadata. */
export interface ReleaseContent {
  /** sha256 of the blob bytes, 64 lowercase hex characters. */
  digestHex: string;
  size: number;
}

/** Repository names become folder names: one plain path component, nothing else. */
const SAFE_REPO = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The endpoint as a base URL (no trailing slash); UsageError when it is not an http(s) URL. */
export function parseEndpoint(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`invalid App Registry endpoint "${endpoint}": expected an http:// or https:// URL such as https://quay.io/cnr`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`invalid App Registry endpoint ${redactUrl(url)}: expected an http:// or https:// URL`);
  }
  url.search = '';
  url.hash = '';
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

function apiUrl(base: URL, segments: readonly string[], query?: Record<string, string>): URL {
  const url = new URL(base.toString());
  url.pathname = `${base.pathname}/api/v1/${segments.map(encodeURIComponent).join('/')}`;
  for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
  return url;
}

/** `GET {base}/api/v1/packages?media_type=helm&namespace={ns}` */
export function listingUrl(base: URL, namespace: string): URL {
  return apiUrl(base, ['packages'], { media_type: 'helm', namespace });
}

/** `GET {base}/api/v1/packages/{ns}/{repo}/{release}/helm` */
export function releaseUrl(base: URL, namespace: string, repo: string, release: string): URL {
  return apiUrl(base, ['packages', namespace, repo, release, 'helm']);
}

/** `GET {base}/api/v1/packages/{ns}/{repo}/blobs/sha256/{digest}` */
export function blobUrl(base: URL, namespace: string, repo: string, digestHex: string): URL {
  return apiUrl(base, ['packages', namespace, repo, 'blobs', 'sha256', digestHex]);
}

function protocolError(where: string, message: string): FerryError {
  return new FerryError('REGISTRY', `${where}: unexpected App Registry answer: ${message}`, ExitCode.failure);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads a namespace listing: a JSON array of `{name: "ns/repo", default, releases, ...}`. A `name`
 * that does not split into exactly two parts, or whose repository part is not a plain folder name,
 * is an error; so is a repository listed twice.
 */
export function parseListing(body: unknown, where: string): ListedPackage[] {
  if (!Array.isArray(body)) throw protocolError(where, 'the package listing is not a JSON array');
  const out: ListedPackage[] = [];
  const seen = new Set<string>();
  for (const [i, item] of body.entries()) {
    if (!isObject(item) || typeof item['name'] !== 'string') throw protocolError(where, `listing entry ${i} has no "name"`);
    const parts = item['name'].split('/');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      throw protocolError(where, `listing entry ${i}: package name ${JSON.stringify(item['name'])} is not "namespace/repository"`);
    }
    const [namespace, repo] = parts as [string, string];
    if (!SAFE_REPO.test(repo)) throw protocolError(where, `listing entry ${i}: repository name ${JSON.stringify(repo)} is not a plain name`);
    if (seen.has(repo)) throw protocolError(where, `repository ${repo} is listed twice`);
    seen.add(repo);
    const releases = Array.isArray(item['releases']) ? item['releases'].filter((r): r is string => typeof r === 'string') : [];
    const defaultRelease = typeof item['default'] === 'string' && item['default'] !== '' ? item['default'] : undefined;
    out.push({ namespace, repo, releases, ...(defaultRelease === undefined ? {} : { defaultRelease }) });
  }
  return out;
}

/** Reads release metadata: `content.digest` (sha256 hex, a `sha256:` prefix tolerated) and `content.size`. */
export function parseRelease(body: unknown, where: string): ReleaseContent {
  const content = isObject(body) ? body['content'] : undefined;
  if (!isObject(content)) throw protocolError(where, 'the release metadata has no "content"');
  const raw = content['digest'];
  const digestHex = typeof raw === 'string' ? raw.replace(/^sha256:/, '') : '';
  if (!SHA256_HEX.test(digestHex)) throw protocolError(where, `content.digest ${JSON.stringify(raw)} is not a sha256 hex digest`);
  const size = content['size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw protocolError(where, `content.size ${JSON.stringify(size)} is not a byte count`);
  return { digestHex, size };
}
