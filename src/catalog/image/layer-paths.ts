/**
 * Paths inside image layers, and the OCI whiteout rules: `dir/.wh.name` deletes `dir/name` from the
 * layers below; `dir/.wh..wh..opq` hides everything the layers below have under `dir`.
 */
const WHITEOUT_PREFIX = '.wh.';
const OPAQUE = '.wh..wh..opq';

/** `./a/b/`, `/a/b` → `a/b`; undefined for a path that climbs out (`..`). */
export function cleanLayerPath(name: string): string | undefined {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) return undefined;
  return parts.join('/');
}

/** What a whiteout entry hides in lower layers: one path, or the contents of a folder (opaque). */
export function whiteoutOf(path: string): { hides: string; opaque: boolean } | undefined {
  const slash = path.lastIndexOf('/');
  const dir = slash < 0 ? '' : path.slice(0, slash);
  const base = path.slice(slash + 1);
  if (base === OPAQUE) return { hides: dir, opaque: true };
  if (base.startsWith(WHITEOUT_PREFIX)) return { hides: dir === '' ? base.slice(WHITEOUT_PREFIX.length) : `${dir}/${base.slice(WHITEOUT_PREFIX.length)}`, opaque: false };
  return undefined;
}

/** Paths hidden from lower layers by the whiteouts of the layers above. */
export class Hidden {
  private readonly deleted = new Set<string>();
  private readonly opaque = new Set<string>();

  add(whiteout: { hides: string; opaque: boolean }): void {
    (whiteout.opaque ? this.opaque : this.deleted).add(whiteout.hides);
  }

  merge(other: Hidden): void {
    for (const p of other.deleted) this.deleted.add(p);
    for (const p of other.opaque) this.opaque.add(p);
  }

  /** True when `path` (or a folder above it) was deleted, or lies inside an opaque folder. */
  hides(path: string): boolean {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (this.deleted.has(prefix)) return true;
      if (i < parts.length && this.opaque.has(prefix)) return true;
    }
    return this.opaque.has('');
  }
}
