/**
 * The route table of `serve`: an opened archive's images (the catalog among them) under the
 * repositories and tags of ./served-names.ts, each repository knowing exactly which manifests and
 * blobs it may serve (those its images reach). Nothing is extracted or copied: the table holds
 * descriptors, the bytes stay in the archive's store.
 */
import type { Descriptor } from '../../oci/descriptor.js';
import type { ImageStore } from '../../oci/store.js';
import { compareBytes } from '../../util/compare-bytes.js';
import type { OpenedArchive } from '../read/open-archive.js';
import { ImageContentsReader, merge, type ImageContents } from './image-contents.js';
import { servedNames, type ServeNaming } from './served-names.js';

export interface ServedRepository {
  name: string;
  /** tag → the image's root manifest. */
  tags: Map<string, Descriptor>;
  /** Every manifest the repository's images reach, by digest (media type: the manifest's own). */
  manifests: Map<string, Descriptor>;
  /** Every blob the repository's images reach (manifests included), by digest. */
  blobs: Map<string, Descriptor>;
}

export interface ServedImage {
  /** Normalized source reference. */
  source: string;
  repository: string;
  tag: string;
  digest: string;
  mediaType: string;
}

export interface ServedArchive {
  /** The archive file, first volume or folder, as given. */
  path: string;
  identity: string;
  /** The catalog image's source (it is served like the other images). */
  catalog: string;
  store: ImageStore;
  /** By name; see `repositoryNames` for the sorted list. */
  repositories: Map<string, ServedRepository>;
  /** Sorted (byte order), as `_catalog` lists them. */
  repositoryNames: string[];
  /** Sorted by source. */
  images: ServedImage[];
  /** Images left out or incomplete, shared repositories. */
  warnings: string[];
}

/** Builds the table: reads every image's manifests (checked against their digests), looks up its blobs. */
export async function buildServedArchive(archive: OpenedArchive, naming: ServeNaming): Promise<ServedArchive> {
  const listed = [archive.metadata.catalog, ...archive.metadata.images];
  const expected = new Map(listed.map((image) => [image.source, image.digest]));
  const { names, warnings } = servedNames([...expected.keys()], naming);
  const reader = new ImageContentsReader(archive.store);
  const repositories = new Map<string, ServedRepository>();
  const images: ServedImage[] = [];

  for (const name of names) {
    const digest = expected.get(name.source);
    let contents: ImageContents;
    let root: Descriptor;
    try {
      const stored = await archive.store.headManifest('', name.source);
      if (stored === undefined) {
        warnings.push(`${name.source}: not served: the archive's index.json does not name it`);
        continue;
      }
      if (digest !== undefined && stored.digest !== digest) {
        warnings.push(`${name.source}: not served: index.json gives digest ${stored.digest}, the archive's metadata ${digest}`);
        continue;
      }
      contents = await reader.contentsOf(stored.digest);
      root = contents.manifests.get(stored.digest)!;
    } catch (err) {
      warnings.push(`${name.source}: not served: ${(err as Error).message}`);
      continue;
    }
    for (const m of contents.missing) warnings.push(`${name.source}: blob ${m.digest} (${m.size} bytes) is not in the archive; pulls of it will fail`);

    let repository = repositories.get(name.repository);
    if (repository === undefined) {
      repository = { name: name.repository, tags: new Map(), manifests: new Map(), blobs: new Map() };
      repositories.set(name.repository, repository);
    }
    const taken = repository.tags.get(name.tag);
    if (taken !== undefined && taken.digest !== root.digest) {
      warnings.push(`${name.source}: tag ${name.repository}:${name.tag} already names ${taken.digest}; served by digest only`);
    } else {
      repository.tags.set(name.tag, root);
    }
    merge(repository, contents);
    images.push({ source: name.source, repository: name.repository, tag: name.tag, digest: root.digest, mediaType: root.mediaType });
  }

  for (const repository of repositories.values()) {
    repository.tags = new Map([...repository.tags].sort(([a], [b]) => compareBytes(a, b)));
  }
  return {
    path: archive.path,
    identity: archive.identity,
    catalog: archive.metadata.catalog.source,
    store: archive.store,
    repositories,
    repositoryNames: [...repositories.keys()].sort(compareBytes),
    images,
    warnings,
  };
}
