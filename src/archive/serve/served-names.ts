/**
 * The repository and tag under which `serve` offers each archived image.
 *
 * By default the names are exactly those `push` gives (../../mirror/naming.ts, through buildMapping, so
 * the same collisions are refused): `to` is a host plus the optional `--namespace`, and the served
 * repository is the destination without its host (`quay.io/ferry-test/app` → `quay-io-ferry-test-app`,
 * or oc's scheme with `maxComponents`). The tag is the destination tag: the source tag, or for a
 * digest-only source oc's FNV tag.
 *
 * With `sourceNames` the repository is the source's whole repository, host first
 * (`quay.io/ferry-test/app`, under the namespace when there is one), and the tag is the source tag (the
 * FNV tag for digest-only sources, so every repository has a tag). A host is not always a valid path
 * component: it is lowercased and a port's `:` and IPv6 brackets become `-` (`localhost:5000` →
 * `localhost-5000`).
 */
import { InvalidInputError, UsageError, type Problem } from '../../errors.js';
import { buildMapping } from '../../mirror/mapping.js';
import { digestTag, parseMirrorTarget } from '../../mirror/naming.js';
import { ReferenceError, formatReference, parseReference } from '../../oci/reference.js';
import { compareBytes } from '../../util/compare-bytes.js';

/** The host the served names are computed under (never contacted; `.invalid` never resolves). */
export const SERVE_HOST = 'serve.invalid';

export interface ServeNaming {
  /** Path components every repository is put under (`olm`, `team/olm`). */
  namespace?: string;
  /** oc's scheme (`--max-components`); undefined: push's default scheme. Not with `sourceNames`. */
  maxComponents?: number;
  /** Name repositories by their source (host included) instead of push's names. */
  sourceNames?: boolean;
}

export interface ServedName {
  /** Normalized source reference. */
  source: string;
  /** `host/repository:tag` under the host asked for. */
  destination: string;
  /** The repository without the host. */
  repository: string;
  tag: string;
}

export interface ServedNames {
  /** One per distinct source, sorted by source. */
  names: ServedName[];
  warnings: string[];
}

const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const NAMESPACE_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);

/** Checks the naming options; throws UsageError naming the flag. */
export function checkServeNaming(naming: ServeNaming): void {
  const ns = naming.namespace;
  if (ns !== undefined && !NAMESPACE_RE.test(ns)) {
    throw new UsageError(`invalid --namespace "${ns}": expected lowercase path components (letters, digits, and . _ - between them) separated by /`, ['e.g. --namespace olm']);
  }
  const max = naming.maxComponents;
  if (max !== undefined && (!Number.isInteger(max) || max < 0)) throw new UsageError(`invalid --max-components ${max}: expected a whole number, 0 for no limit`);
  if (max !== undefined && naming.sourceNames) throw new UsageError('--max-components names repositories as push does; --source-names keeps the source names: give one of them');
}

/** Checks `host` (`HOST[:PORT]`) as a registry name; `flag` names where it came from. */
export function checkRegistryHost(host: string, flag: string): void {
  try {
    const target = parseMirrorTarget(host);
    if (target.namespace.length > 0) throw new UsageError('a path has no place here');
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    throw new UsageError(`invalid ${flag} "${host}": expected HOST[:PORT] (${err.message.replace(/^invalid --to "[^"]*": /, '')})`, [`use --namespace for a path under the registry`]);
  }
}

/** The served name of every source (normalized references) under `host`. */
export function servedNames(sources: readonly string[], naming: ServeNaming, host: string = SERVE_HOST): ServedNames {
  checkServeNaming(naming);
  const to = naming.namespace === undefined ? host : `${host}/${naming.namespace}`;
  if (!naming.sourceNames) {
    const { mappings, warnings } = buildMapping(sources, { to, ...(naming.maxComponents === undefined ? {} : { maxComponents: naming.maxComponents }) });
    return { names: mappings.map((m) => ({ source: m.source, ...split(m.destination, host) })), warnings };
  }

  const problems: Problem[] = [];
  const byDestination = new Map<string, ServedName[]>();
  for (const image of new Set(sources)) {
    try {
      const ref = parseReference(image);
      const repository = `${naming.namespace === undefined ? '' : `${naming.namespace}/`}${hostComponent(ref.domain)}/${ref.path}`;
      const tag = ref.tag ?? digestTag(ref);
      const name: ServedName = { source: formatReference(ref), destination: `${host}/${repository}:${tag}`, repository, tag };
      byDestination.set(name.destination, [...(byDestination.get(name.destination) ?? []), name]);
    } catch (err) {
      if (!(err instanceof ReferenceError)) throw err;
      problems.push({ file: image, message: err.message });
    }
  }
  const names: ServedName[] = [];
  for (const [destination, claimed] of byDestination) {
    const distinct = [...new Set(claimed.map((n) => n.source))];
    if (distinct.length > 1) problems.push({ file: destination, message: `destination tag claimed by ${distinct.length} sources: ${distinct.sort(compareBytes).join(', ')}` });
    else names.push(claimed[0]!);
  }
  if (problems.length > 0) throw new InvalidInputError(problems, `${problems.length} problem${problems.length === 1 ? '' : 's'} naming the images to serve`);
  return { names: names.sort((a, b) => compareBytes(a.source, b.source)), warnings: [] };
}

/** A registry host as one repository path component. */
function hostComponent(domain: string): string {
  return domain
    .toLowerCase()
    .replace(/[:[\]]/g, '-')
    .replace(/^-+|-+$/g, '');
}

function split(destination: string, host: string): Omit<ServedName, 'source'> {
  const rest = destination.slice(host.length + 1);
  const colon = rest.lastIndexOf(':');
  return { destination, repository: rest.slice(0, colon), tag: rest.slice(colon + 1) };
}
