/**
 * An OCI layout consulted before the registries (`ferry pack --images-from DIR`): the images it
 * holds are read from it, the others from their registries. Any layout works: the example images,
 * an unpacked ferry archive or pack cache, a folder written by skopeo or oc-mirror.
 *
 * Which image a registry reference finds (ref names are compared normalized, so a layout entry
 * `busybox:1.36` serves `docker.io/library/busybox:1.36`):
 *  - by tag: the entry whose ref name is that reference (the last one, as LayoutStore resolves names);
 *  - by digest (`repo@sha256:…`, or `repo:tag@sha256:…`): an entry of the same repository, whatever
 *    its tag, whose manifest has that digest (`repo@sha256:…` as ferry archives name images,
 *    `repo:tag` as skopeo does). The image is then read by its digest, so its bytes are checked
 *    against it; an entry named by that very digest but holding another manifest is an integrity
 *    error, not a reason to go to the registry.
 * Only index.json's own entries count (not the platform manifests inside an index).
 */
import type { ImageLocation } from '../copy/location.js';
import { REF_NAME_ANNOTATION, type Descriptor } from '../descriptor.js';
import { IntegrityError } from '../digest.js';
import { formatReference, parseReference, repositoryOf, type ImageReference } from '../reference.js';
import type { LayoutStore } from './layout-store.js';

interface Entry {
  refName: string;
  descriptor: Descriptor;
}

interface Names {
  /** Normalized reference → the entry named so. */
  byReference: Map<string, Entry>;
  /** `domain/path` → its entries, for digest lookups. */
  byRepository: Map<string, Entry[]>;
}

export class LayoutImages {
  private names: Promise<Names> | undefined;

  constructor(readonly store: LayoutStore) {}

  /** Where the layout holds `ref`, or undefined when it does not. */
  async find(ref: ImageReference): Promise<ImageLocation | undefined> {
    const { byReference, byRepository } = await (this.names ??= this.readNames());
    if (ref.digest === undefined) {
      const entry = byReference.get(formatReference(ref));
      return entry === undefined ? undefined : this.location(entry, entry.refName);
    }
    const match = (byRepository.get(repositoryOf(ref)) ?? []).find((e) => e.descriptor.digest === ref.digest);
    if (match !== undefined) return this.location(match, ref.digest);
    const named = byReference.get(formatReference(ref));
    if (named !== undefined) {
      throw new IntegrityError(`${this.store.description}: "${named.refName}" holds ${named.descriptor.digest}, not the digest its name gives`);
    }
    return undefined;
  }

  private location(entry: Entry, reference: string): ImageLocation {
    return { store: this.store, repository: '', reference, display: `${this.store.description}:${entry.refName}` };
  }

  /** index.json's ref names, normalized once (names that are not image references are left out). */
  private async readNames(): Promise<Names> {
    const byReference = new Map<string, Entry>();
    const byRepository = new Map<string, Entry[]>();
    for (const descriptor of (await this.store.index()).manifests) {
      const refName = descriptor.annotations?.[REF_NAME_ANNOTATION];
      if (refName === undefined) continue;
      let ref: ImageReference;
      try {
        ref = parseReference(refName);
      } catch {
        continue;
      }
      const entry = { refName, descriptor };
      byReference.set(formatReference(ref), entry);
      const repository = repositoryOf(ref);
      const list = byRepository.get(repository);
      if (list === undefined) byRepository.set(repository, [entry]);
      else list.push(entry);
    }
    return { byReference, byRepository };
  }
}
