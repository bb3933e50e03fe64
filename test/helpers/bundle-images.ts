/**
 * Bundle images made from bundle folders (`manifests/`, `metadata/annotations.yaml`) the way
 * operator-sdk builds them, but with independent tools: umoci assembles the image (manifests/ and
 * metadata/ at the root, the annotations of metadata/annotations.yaml as labels) and skopeo pushes it.
 * Both suites use it: the main suite for synthetic bundles, the conformance suite for the corpus.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { pushUmociImage } from './catalog-fixtures.js';

/** The `annotations:` map of DIR/metadata/annotations.yaml (strings only), or {} when there is none. */
export function bundleAnnotations(dir: string): Record<string, string> {
  const file = path.join(dir, 'metadata', 'annotations.yaml');
  if (!existsSync(file)) return {};
  const doc = load(readFileSync(file, 'utf8')) as { annotations?: Record<string, unknown> } | null;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc?.annotations ?? {})) {
    if (v !== null && v !== undefined && typeof v !== 'object') out[k] = String(v);
  }
  return out;
}

/** Pushes bundle folder DIR as image REF (`HOST/repo:tag`) to a plain-HTTP registry. */
export async function pushBundleImage(dir: string, ref: string): Promise<void> {
  const more = existsSync(path.join(dir, 'metadata')) ? [{ files: path.join(dir, 'metadata'), at: '/metadata' }] : [];
  await pushUmociImage({
    files: path.join(dir, 'manifests'),
    at: '/manifests',
    more,
    labels: bundleAnnotations(dir),
    destination: `docker://${ref}`,
    skopeoFlags: ['--dest-tls-verify=false'],
  });
}

/** A tag made from a bundle folder's name (tags allow [A-Za-z0-9_.-], at most 128 characters). */
export function tagFor(name: string): string {
  const t = name.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[.-]/, '_');
  return t.slice(0, 128) || 'bundle';
}

/** Runs `work` over `items` with at most `limit` at once; resolves the results in the items' order. */
export async function mapPool<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
