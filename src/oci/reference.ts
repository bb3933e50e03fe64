/**
 * Image references in the docker reference grammar (distribution/reference), normalized as docker
 * does: `busybox` → `docker.io/library/busybox:latest`, `strimzi/operator:0.12.2` →
 * `docker.io/strimzi/operator:0.12.2`, `index.docker.io/x/y` → `docker.io/x/y`.
 */
import { FerryError, ExitCode } from '../errors.js';

export const DOCKER_HUB = 'docker.io';
const LEGACY_DOCKER_HUB = 'index.docker.io';
const MAX_NAME_LENGTH = 255;

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|${IPV6})(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG_RE = new RegExp(`^${TAG}$`);
const DIGEST_RE = new RegExp(`^${DIGEST}$`);
const DIGEST_LENGTHS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export class ReferenceError extends FerryError {
  constructor(readonly input: string, reason: string) {
    super('INVALID_REFERENCE', `invalid image reference "${input}": ${reason}`, ExitCode.invalidInput);
    this.name = 'ReferenceError';
  }
}

/** A parsed, normalized image reference. */
export interface ImageReference {
  /** Registry host, with port when given (`docker.io`, `localhost:5000`). */
  readonly domain: string;
  /** Repository path inside the registry (`library/busybox`). */
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** `domain/path` */
export function repositoryOf(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The normalized string: `domain/path[:tag][@digest]`. */
export function formatReference(ref: ImageReference): string {
  return `${repositoryOf(ref)}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/**
 * Parses and normalizes a reference. With `defaultTag` (the default), a reference with neither tag
 * nor digest gets `:latest`, as docker does.
 */
export function parseReference(input: string, options: { defaultTag?: boolean } = {}): ImageReference {
  const defaultTag = options.defaultTag ?? true;
  if (input.length === 0) throw new ReferenceError(input, 'empty');
  if (input !== input.trim()) throw new ReferenceError(input, 'leading or trailing white space');

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    checkDigest(input, digest);
  }

  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG_RE.test(tag)) throw new ReferenceError(input, `invalid tag "${tag}"`);
  }

  if (rest.length === 0) throw new ReferenceError(input, 'missing repository name');
  if (rest.length > MAX_NAME_LENGTH) throw new ReferenceError(input, `repository name longer than ${MAX_NAME_LENGTH} characters`);

  let domain: string;
  let path: string;
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  if (slash < 0 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DOCKER_HUB;
    path = rest;
  } else {
    domain = first;
    path = rest.slice(slash + 1);
    if (!DOMAIN_RE.test(domain)) throw new ReferenceError(input, `invalid registry host "${domain}"`);
  }
  if (domain === LEGACY_DOCKER_HUB) domain = DOCKER_HUB;
  if (domain === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  if (path !== path.toLowerCase()) throw new ReferenceError(input, 'repository name must be lowercase');
  if (!PATH_RE.test(path)) throw new ReferenceError(input, `invalid repository name "${path}"`);

  if (defaultTag && tag === undefined && digest === undefined) tag = 'latest';
  return { domain, path, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/** Normalized string form of a reference; throws ReferenceError. */
export function normalizeReference(input: string): string {
  return formatReference(parseReference(input));
}

function checkDigest(input: string, digest: string): void {
  if (!DIGEST_RE.test(digest)) throw new ReferenceError(input, `invalid digest "${digest}"`);
  const [algorithm, hex] = digest.split(':') as [string, string];
  const want = DIGEST_LENGTHS[algorithm];
  if (want === undefined) throw new ReferenceError(input, `unsupported digest algorithm "${algorithm}"`);
  if (hex.length !== want || hex !== hex.toLowerCase()) throw new ReferenceError(input, `digest must be ${want} lowercase hex characters`);
}
