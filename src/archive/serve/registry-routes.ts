/**
 * The read side of the OCI distribution API, as paths: `/v2/`, `/v2/_catalog`,
 * `/v2/<name>/tags/list`, `/v2/<name>/manifests/<reference>`, `/v2/<name>/blobs/<digest>`. A name has
 * one or more `/`-separated components, so the route is recognized from the end of the path.
 */
export type Route =
  | { kind: 'ping' }
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string };

const TAGS = /^\/v2\/(.+)\/tags\/list$/;
const MANIFEST = /^\/v2\/(.+)\/manifests\/([^/]+)$/;
const BLOB = /^\/v2\/(.+)\/blobs\/([^/]+)$/;

/** The route of a request path (no query), or undefined for anything else. */
export function matchRoute(pathname: string): Route | undefined {
  if (pathname === '/v2/' || pathname === '/v2') return { kind: 'ping' };
  if (pathname === '/v2/_catalog') return { kind: 'catalog' };
  let m = TAGS.exec(pathname);
  if (m) return decoded(() => ({ kind: 'tags', name: decodeURIComponent(m![1]!) }));
  m = MANIFEST.exec(pathname);
  if (m) return decoded(() => ({ kind: 'manifest', name: decodeURIComponent(m![1]!), reference: decodeURIComponent(m![2]!) }));
  m = BLOB.exec(pathname);
  if (m) return decoded(() => ({ kind: 'blob', name: decodeURIComponent(m![1]!), digest: decodeURIComponent(m![2]!) }));
  return undefined;
}

function decoded(build: () => Route): Route | undefined {
  try {
    return build();
  } catch {
    return undefined; // a malformed %-escape names nothing served
  }
}
