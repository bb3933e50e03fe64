/**
 * `n` and `last` of `tags/list` and `_catalog`: the entries of a sorted list after `last`, at most
 * `n` of them, and whether more follow (the `Link: <…>; rel="next"` header then points past the
 * last one returned).
 */
import { compareBytes } from '../../util/compare-bytes.js';
import { DistributionError } from './distribution-error.js';

export interface Page {
  items: string[];
  /** The `last` of the next page, when there is one. */
  next?: string;
  n?: number;
}

/** `sorted` in byte order; `n` and `last` as the query gives them. */
export function paginate(sorted: readonly string[], query: URLSearchParams): Page {
  const last = query.get('last') ?? undefined;
  const nText = query.get('n');
  let n: number | undefined;
  if (nText !== null) {
    n = /^\d+$/.test(nText) ? Number(nText) : NaN;
    if (!Number.isSafeInteger(n)) throw new DistributionError(400, 'PAGINATION_NUMBER_INVALID', `invalid number of results requested: "${nText}"`, { n: nText });
  }
  const after = last === undefined ? sorted : sorted.filter((item) => compareBytes(item, last) > 0);
  if (n === undefined || after.length <= n) return { items: [...after] };
  const items = after.slice(0, n);
  return n === 0 ? { items, n } : { items, next: items[items.length - 1]!, n };
}

/** The `Link` header for the next page of `path`, or undefined. */
export function nextLink(path: string, page: Page): string | undefined {
  if (page.next === undefined || page.n === undefined) return undefined;
  return `<${path}?n=${page.n}&last=${encodeURIComponent(page.next)}>; rel="next"`;
}
