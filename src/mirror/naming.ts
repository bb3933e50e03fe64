/**
 * Destination names for mirrored images: where `--to=REGISTRY[/NAMESPACE...]` puts each source image.
 *
 * Two schemes (docs: ../shared/reference/mirroring.md, "Destination names"):
 *  - the design's scheme (the default, `maxComponents` undefined): keep the source host and flatten the
 *    whole source repository into one component, every `.` and `/` becoming `-`:
 *    `quay.io/coreos/etcd-operator` → `<to>/quay-io-coreos-etcd-operator`. Two path levels at most under
 *    the registry when `--to` has one namespace, which Quay and GitLab accept. The flattening also turns
 *    a port's `:` and IPv6 brackets into `-` and lowercases the host (hosts are case-insensitive,
 *    repository names must be lowercase), so every source gives a valid name. It is not injective
 *    (`quay.io/a-b/c` and `quay.io/a/b-c` both give `quay-io-a-b-c`); buildMapping reports what collides.
 *  - `oc adm catalog mirror`'s scheme (`maxComponents` a number, `--max-components`): drop the source
 *    host; the path components are `--to`'s namespaces followed by the source path; keep the first
 *    `maxComponents - 1` of them and join the rest with `-` (0 = keep all). As in oc, `--to`'s own
 *    namespaces count towards the limit (the point is the total depth under the registry), so with
 *    `--to=mirror:5000/a/b/c --max-components=2` even `b/c` is collapsed (`a/b-c-coreos-etcd`).
 *
 * Digest-only sources get a tag at the destination so that registries do not garbage-collect them:
 * oc's tag, the 32-bit FNV-1a hash (offset basis 2166136261, prime 16777619, over the UTF-8 bytes) of the
 * normalized source reference string (`quay.io/coreos/etcd@sha256:…`), in lowercase hex without
 * padding (Go's `fmt.Sprintf("%x", fnv.New32a().Sum32())`). The pushed bytes are unchanged, so pulls
 * by digest keep working.
 */
import { UsageError } from '../errors.js';
import { formatReference, ReferenceError, repositoryOf, type ImageReference } from '../oci/reference.js';

export interface NamingOptions {
  /** `REGISTRY[/NAMESPACE...]`, e.g. `localhost:5000/community-operators`. */
  to: string;
  /** undefined → the design's scheme; a number → oc's scheme, 0 = no limit. */
  maxComponents?: number;
}

/** `--to` split into its registry host and namespace components. */
export interface MirrorTarget {
  registry: string;
  namespace: string[];
}

// The docker reference grammar (as in src/oci/reference.ts, which does not export its expressions).
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[(?:[a-fA-F0-9:]+)\\])(?::[0-9]+)?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;
/** distribution/reference: the name (host and path) is at most 255 characters. */
const MAX_NAME_LENGTH = 255;

/** Parses `--to`; throws UsageError naming what is wrong. */
export function parseMirrorTarget(to: string): MirrorTarget {
  const bad = (reason: string, suggestions?: string[]): UsageError =>
    new UsageError(`invalid --to "${to}": ${reason}`, suggestions ?? ['--to takes REGISTRY[/NAMESPACE...], e.g. --to=localhost:5000/community-operators']);
  if (to.length === 0) throw bad('empty');
  if (/\s/.test(to)) throw bad('contains white space');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(to);
  if (scheme) throw bad(`a "${scheme[1]}://" prefix is not part of a registry name`, [`use --to=${to.slice(scheme[0].length)}`]);
  if (to.includes('@')) throw bad('a digest has no place in a destination: --to names a registry and namespace, not an image');
  if (to.endsWith('/')) throw bad('trailing "/"', [`use --to=${to.replace(/\/+$/, '')}`]);
  const [registry, ...namespace] = to.split('/') as [string, ...string[]];
  if (!DOMAIN_RE.test(registry)) throw bad(`"${registry}" is not a registry host[:port]`);
  for (const component of namespace) {
    if (component === '') throw bad('empty path component ("//")');
    if (component.includes(':')) throw bad(`"${component}" carries a tag: --to names a registry and namespace, not an image`);
    if (component !== component.toLowerCase()) throw bad(`namespace "${component}" must be lowercase`);
    if (!PATH_COMPONENT_RE.test(component)) throw bad(`"${component}" is not a valid namespace component (lowercase letters, digits, and . _ - between them)`);
  }
  return { registry, namespace };
}

/** Checks `to` and `maxComponents`; throws UsageError. Returns the parsed `--to`. */
export function checkNamingOptions(options: NamingOptions): MirrorTarget {
  const target = parseMirrorTarget(options.to);
  const max = options.maxComponents;
  if (max !== undefined && (!Number.isInteger(max) || max < 0)) {
    throw new UsageError(`invalid --max-components ${max}: expected a whole number, 0 for no limit`);
  }
  return target;
}

/** The source repository (`domain/path`) as one path component: `quay.io/coreos/etcd` → `quay-io-coreos-etcd`. */
export function flattenRepository(source: ImageReference): string {
  return repositoryOf(source)
    .toLowerCase()
    .replace(/[./:[\]]/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * The full destination repository `host/ns/name` for `source`. Throws UsageError for a bad `--to` or
 * `maxComponents`, ReferenceError when the result would be longer than a repository name may be.
 */
export function mirrorRepository(source: ImageReference, options: NamingOptions): string {
  const target = checkNamingOptions(options);
  let components: string[];
  if (options.maxComponents === undefined) {
    components = [...target.namespace, flattenRepository(source)];
  } else {
    const all = [...target.namespace, ...source.path.split('/')];
    const max = options.maxComponents;
    components = max === 0 || all.length <= max ? all : [...all.slice(0, max - 1), all.slice(max - 1).join('-')];
  }
  const repository = [target.registry, ...components].join('/');
  if (repository.length > MAX_NAME_LENGTH) {
    throw new ReferenceError(repository, `destination repository for ${repositoryOf(source)} is longer than ${MAX_NAME_LENGTH} characters; use a shorter --to`);
  }
  return repository;
}

/**
 * The destination reference for `source`: the destination repository with the source's tag, or for a
 * digest-only source the stable tag `fnv32aHex(<normalized source>)`. The destination has no digest
 * (mapping files carry the tag on the destination; the pushed digest is the source's).
 */
export function mirrorReference(source: ImageReference, options: NamingOptions): ImageReference {
  const repository = mirrorRepository(source, options);
  const slash = repository.indexOf('/');
  const tag = source.tag ?? (source.digest === undefined ? 'latest' : digestTag(source));
  return { domain: repository.slice(0, slash), path: repository.slice(slash + 1), tag };
}

/** oc's destination tag for a digest-only source: FNV-1a 32 of the normalized reference, lowercase hex. */
export function digestTag(source: ImageReference): string {
  const untagged: ImageReference = { domain: source.domain, path: source.path, ...(source.digest === undefined ? {} : { digest: source.digest }) };
  return fnv1a32(formatReference(untagged)).toString(16);
}

/** 32-bit FNV-1a (offset basis 2166136261, prime 16777619) over the UTF-8 bytes of `text`. */
export function fnv1a32(text: string): number {
  let hash = 2166136261;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 16777619) >>> 0;
  }
  return hash >>> 0;
}
