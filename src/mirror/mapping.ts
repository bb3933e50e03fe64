/**
 * The mapping from source images to their mirror destinations, and its text form (`mapping.txt`, the
 * input of `ferry image mirror -f` and `oc image mirror -f`; read back by ./mapping-file.ts).
 *
 * One mapping per distinct normalized source. SOURCE keeps `@sha256:…` for digest references (and the
 * tag too when the reference has both); DESTINATION is the mirror repository with a tag (see
 * ./naming.ts). A destination reference may be written by one source only: two different sources
 * mapped to the same destination tag would overwrite each other, so that is an error naming both.
 * Distinct source repositories that share a destination repository (oc's `--max-components` drops the
 * host, so `quay.io/foo/bar` and `registry.redhat.io/foo/bar` meet) are allowed but reported as
 * warnings: a pull by tag through the mirror could get the other source's image.
 */
import { InvalidInputError, type Problem } from '../errors.js';
import { formatReference, parseReference, ReferenceError, repositoryOf, type ImageReference } from '../oci/reference.js';
import { compareBytes } from '../util/compare-bytes.js';
import { checkNamingOptions, mirrorReference, type NamingOptions } from './naming.js';

export interface MirrorMapping {
  /** Normalized source reference. */
  source: string;
  /** Destination reference, with a tag. */
  destination: string;
}

export interface MappingResult {
  /** Sorted by source, then destination (byte order). */
  mappings: MirrorMapping[];
  /** Destination repositories that receive images from more than one source repository. */
  warnings: string[];
}

export const MAPPING_FILE_HEADER = '# ferry mapping: SOURCE=DESTINATION, for ferry image mirror -f or oc image mirror -f';

/** Byte-order comparison of mappings: source, then destination. */
export function compareMappings(a: MirrorMapping, b: MirrorMapping): number {
  return compareBytes(a.source, b.source) || compareBytes(a.destination, b.destination);
}

/**
 * Maps each image to its destination. Images are normalized (duplicates, also in different spellings,
 * collapse to one). Throws UsageError for a bad `--to` / `maxComponents`, InvalidInputError listing
 * every invalid image and every destination claimed by more than one source.
 */
export function buildMapping(images: readonly string[], options: NamingOptions): MappingResult {
  checkNamingOptions(options); // a bad --to is a usage error, reported before anything per image
  const problems: Problem[] = [];
  const sources = new Map<string, ImageReference>();
  for (const image of images) {
    try {
      const ref = parseReference(image);
      sources.set(formatReference(ref), ref);
    } catch (err) {
      if (!(err instanceof ReferenceError)) throw err;
      problems.push({ file: image, message: err.message });
    }
  }

  const mappings: MirrorMapping[] = [];
  const byDestination = new Map<string, string[]>();
  const repositories = new Map<string, Set<string>>();
  for (const [source, ref] of sources) {
    let destinationRef: ImageReference;
    try {
      destinationRef = mirrorReference(ref, options);
    } catch (err) {
      if (!(err instanceof ReferenceError)) throw err;
      problems.push({ file: source, message: err.message });
      continue;
    }
    const destination = formatReference(destinationRef);
    mappings.push({ source, destination });
    byDestination.set(destination, [...(byDestination.get(destination) ?? []), source]);
    const destinationRepository = repositoryOf(destinationRef);
    const from = repositories.get(destinationRepository) ?? new Set<string>();
    from.add(repositoryOf(ref));
    repositories.set(destinationRepository, from);
  }

  for (const [destination, from] of [...byDestination].sort(([a], [b]) => compareBytes(a, b))) {
    if (from.length < 2) continue;
    problems.push({ file: destination, message: `destination tag claimed by ${from.length} sources: ${from.sort(compareBytes).join(', ')}` });
  }
  if (problems.length > 0) throw new InvalidInputError(problems, `${problems.length} problem${problems.length === 1 ? '' : 's'} in the images to mirror; no mapping was made`);

  const warnings = [...repositories]
    .filter(([, from]) => from.size > 1)
    .sort(([a], [b]) => compareBytes(a, b))
    .map(
      ([destination, from]) =>
        `destination repository ${destination} receives images from ${from.size} source repositories (${[...from].sort(compareBytes).join(', ')}); a tag pulled through the mirror may be another source's image`,
    );
  return { mappings: mappings.sort(compareMappings), warnings };
}

/** `mapping.txt`: the header comment, then `SOURCE=DESTINATION` lines sorted by source then destination. */
export function formatMappingFile(mappings: readonly MirrorMapping[]): string {
  const lines = [...mappings].sort(compareMappings).map((m) => `${m.source}=${m.destination}`);
  return [MAPPING_FILE_HEADER, ...lines].join('\n') + '\n';
}
