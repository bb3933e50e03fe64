/**
 * Which source repositories go in which mirror set, from the image mappings.
 *
 * Entries are per source repository (source repository → the mirror repositories its images went to).
 * A repository referenced by digest goes in the digest mirror sets (ImageContentSourcePolicy and
 * ImageDigestMirrorSet); one referenced only by tag goes in the ImageTagMirrorSet. The same repository
 * must not appear in both an IDMS and an ITMS, so a repository referenced both ways goes in the digest
 * sets only: OLM pulls bundles and (pinned) operands by digest, and those pulls must not fail; a
 * tag-only mirror set for the repository would cover fewer pulls than the digest one. Nothing is
 * dropped silently: every tag reference yields a warning saying what covers it (the ITMS) or that
 * nothing does (its repository is in the digest sets).
 */
import { InvalidInputError, type Problem } from '../errors.js';
import { parseReference, ReferenceError, repositoryOf, type ImageReference } from '../oci/reference.js';
import { compareBytes } from '../util/compare-bytes.js';

/** One entry of a mirror set: a source repository and where it is mirrored. */
export interface RepositoryMirror {
  source: string;
  /** Sorted, distinct mirror repositories. */
  mirrors: string[];
}

export interface MirrorSets {
  /** Repositories with at least one digest reference (ICSP and IDMS), sorted by source. */
  digest: RepositoryMirror[];
  /** Repositories referenced by tag only (ITMS), sorted by source. */
  tag: RepositoryMirror[];
  /** One per tag reference, sorted. */
  warnings: string[];
}

interface RepositoryUse {
  digestMirrors: Set<string>;
  tagMirrors: Set<string>;
  tagReferences: Set<string>;
}

/** Groups mappings by source repository. Throws InvalidInputError listing every unparsable reference. */
export function groupMirrorSets(mappings: ReadonlyArray<{ source: string; destination: string }>): MirrorSets {
  const problems: Problem[] = [];
  const parse = (text: string, role: string): ImageReference | undefined => {
    try {
      return parseReference(text);
    } catch (err) {
      if (!(err instanceof ReferenceError)) throw err;
      problems.push({ file: text, message: `${role}: ${err.message}` });
      return undefined;
    }
  };

  const uses = new Map<string, RepositoryUse>();
  for (const m of mappings) {
    const source = parse(m.source, 'mapping source');
    const destination = parse(m.destination, `destination of ${m.source}`);
    if (!source || !destination) continue;
    const repository = repositoryOf(source);
    let use = uses.get(repository);
    if (!use) {
      use = { digestMirrors: new Set(), tagMirrors: new Set(), tagReferences: new Set() };
      uses.set(repository, use);
    }
    if (source.digest !== undefined) {
      use.digestMirrors.add(repositoryOf(destination));
    } else {
      use.tagMirrors.add(repositoryOf(destination));
      use.tagReferences.add(m.source);
    }
  }
  if (problems.length > 0) throw new InvalidInputError(problems, `${problems.length} invalid reference${problems.length === 1 ? '' : 's'} in the mappings; no manifests were made`);

  const sorted = (set: Set<string>): string[] => [...set].sort(compareBytes);
  const digest: RepositoryMirror[] = [];
  const tag: RepositoryMirror[] = [];
  const warnings: string[] = [];
  for (const [source, use] of [...uses].sort(([a], [b]) => compareBytes(a, b))) {
    if (use.digestMirrors.size > 0) {
      digest.push({ source, mirrors: sorted(use.digestMirrors) });
      for (const ref of sorted(use.tagReferences)) {
        warnings.push(
          `${ref} is referenced by tag, and ${source} also by digest: the repository is in the ImageContentSourcePolicy and ImageDigestMirrorSet (digest pulls, as OLM pulls), and a repository must not also be in the ImageTagMirrorSet, so no mirror set covers this tag reference: a pull of it by tag is not redirected to the mirror (refer to it by digest)`,
        );
      }
    } else {
      tag.push({ source, mirrors: sorted(use.tagMirrors) });
      for (const ref of sorted(use.tagReferences)) {
        warnings.push(
          `${ref} is referenced by tag only: the ImageContentSourcePolicy and ImageDigestMirrorSet do not cover it (they apply to pulls by digest); the ImageTagMirrorSet does (OpenShift 4.13 and later)`,
        );
      }
    }
  }
  return { digest, tag, warnings: warnings.sort(compareBytes) };
}
