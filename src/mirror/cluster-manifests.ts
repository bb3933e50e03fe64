/**
 * The cluster manifests that make a cluster pull through the mirror (../shared/reference/mirroring.md,
 * "Cluster manifests"):
 *  - imageContentSourcePolicy.yaml: ImageContentSourcePolicy objects (OpenShift 4.1–4.12), the
 *    repositories referenced by digest, labelled `operators.openshift.org/catalog: "true"`;
 *  - imageDigestMirrorSet.yaml: ImageDigestMirrorSet objects (4.13+), the same repositories;
 *  - imageTagMirrorSet.yaml: ImageTagMirrorSet objects (4.13+), the repositories referenced by tag only;
 *  - catalogSource.yaml: the CatalogSource for the mirrored catalog.
 * Which repository goes where, and the warnings for tag references, are decided in ./mirror-sets.ts.
 * The IDMS and ITMS carry the same label as the ICSP, so all of a catalog's mirror objects can be
 * selected together (`oc get idms,itms -l operators.openshift.org/catalog=true`).
 *
 * Mirror-set objects are split to stay under 250,000 bytes of YAML each (./split-objects.ts), named
 * `<catalog-name>-0`, `-1`, …; a file with several objects is a YAML stream. Entries are sorted, keys
 * are in a fixed order, so the same input gives the same bytes.
 *
 * A file that would hold no entries (no digest references: no ICSP or IDMS; no tag-only references:
 * no ITMS; no catalog: no CatalogSource) is not written: an empty mirror set does nothing on a
 * cluster, and applying one only adds a do-nothing object. Such files are listed in `omitted`, and
 * writeManifestFiles removes a copy left by an earlier run so the folder matches this run.
 */
import { InvalidInputError, UsageError, type Problem } from '../errors.js';
import { formatReference, parseReference, ReferenceError } from '../oci/reference.js';
import { catalogSourceObject, checkCatalogName } from './catalog-source.js';
import { groupMirrorSets, type RepositoryMirror } from './mirror-sets.js';
import { splitObjects, toYaml, yamlStream } from './split-objects.js';

export const ICSP_FILE = 'imageContentSourcePolicy.yaml';
export const IDMS_FILE = 'imageDigestMirrorSet.yaml';
export const ITMS_FILE = 'imageTagMirrorSet.yaml';
export const CATALOG_SOURCE_FILE = 'catalogSource.yaml';
/** Every file buildClusterManifests may write, in the order it lists them. */
export const CLUSTER_MANIFEST_FILES: readonly string[] = [ICSP_FILE, IDMS_FILE, ITMS_FILE, CATALOG_SOURCE_FILE];

export const CATALOG_LABEL = 'operators.openshift.org/catalog';
export const MIRROR_SOURCE_POLICIES = ['NeverContactSource', 'AllowContactingSource'] as const;
export type MirrorSourcePolicy = (typeof MIRROR_SOURCE_POLICIES)[number];

export interface ClusterManifestsInput {
  mappings: ReadonlyArray<{ source: string; destination: string }>;
  /**
   * The catalog image and where it was mirrored; undefined: no CatalogSource. Both must be valid
   * references; the CatalogSource names `mirrored` (normalized) directly, so `source` needs no mirror
   * set entry (it gets one anyway when it is also among the mappings).
   */
  catalog: { source: string; mirrored: string } | undefined;
  /** DNS-1123 label; names the CatalogSource and (with `-0`, `-1`, …) the mirror-set objects. */
  catalogName: string;
  displayName?: string;
  publisher?: string;
  /** For IDMS and ITMS entries (the ICSP has no such field). */
  mirrorSourcePolicy?: MirrorSourcePolicy;
}

export interface ManifestFile {
  name: string;
  content: string;
}

export interface ClusterManifests {
  /** In CLUSTER_MANIFEST_FILES order. */
  files: ManifestFile[];
  /** Tag references and what (if anything) covers them; sorted. */
  warnings: string[];
  /** Files not written because they would hold nothing, and why. */
  omitted: Array<{ name: string; reason: string }>;
}

/**
 * Builds the manifests. Throws UsageError for a bad catalog name or mirrorSourcePolicy,
 * InvalidInputError listing every unparsable reference.
 */
export function buildClusterManifests(input: ClusterManifestsInput): ClusterManifests {
  checkCatalogName(input.catalogName);
  const policy = input.mirrorSourcePolicy;
  if (policy !== undefined && !(MIRROR_SOURCE_POLICIES as readonly string[]).includes(policy)) {
    throw new UsageError(`invalid mirror source policy "${String(policy)}": expected ${MIRROR_SOURCE_POLICIES.join(' or ')}`);
  }
  const catalogImage = input.catalog === undefined ? undefined : checkCatalog(input.catalog);
  const sets = groupMirrorSets(input.mappings);
  const name = input.catalogName;
  const labels = { [CATALOG_LABEL]: 'true' };

  const files: ManifestFile[] = [];
  const omitted: Array<{ name: string; reason: string }> = [];
  const add = (file: string, objects: readonly unknown[], reason: string): void => {
    if (objects.length === 0) omitted.push({ name: file, reason });
    else files.push({ name: file, content: yamlStream(objects) });
  };

  // entries in their final form (key order source, mirrors, mirrorSourcePolicy), placed as they are
  const plain = (e: RepositoryMirror) => ({ source: e.source, mirrors: e.mirrors });
  const withPolicy = (e: RepositoryMirror) => ({ source: e.source, mirrors: e.mirrors, ...(policy === undefined ? {} : { mirrorSourcePolicy: policy }) });
  const noDigest = 'no image is referenced by digest';
  const mirrorSet = (apiVersion: string, kind: string, specKey: string, entries: readonly object[]) =>
    splitObjects(entries, name, (n, part) => ({ apiVersion, kind, metadata: { name: n, labels }, spec: { [specKey]: part } }));
  add(ICSP_FILE, mirrorSet('operator.openshift.io/v1alpha1', 'ImageContentSourcePolicy', 'repositoryDigestMirrors', sets.digest.map(plain)), noDigest);
  add(IDMS_FILE, mirrorSet('config.openshift.io/v1', 'ImageDigestMirrorSet', 'imageDigestMirrors', sets.digest.map(withPolicy)), noDigest);
  add(ITMS_FILE, mirrorSet('config.openshift.io/v1', 'ImageTagMirrorSet', 'imageTagMirrors', sets.tag.map(withPolicy)), 'no repository is referenced by tag only');
  if (catalogImage === undefined) {
    omitted.push({ name: CATALOG_SOURCE_FILE, reason: 'no catalog image was given' });
  } else {
    files.push({
      name: CATALOG_SOURCE_FILE,
      content: toYaml(catalogSourceObject({ name, image: catalogImage, ...(input.displayName ? { displayName: input.displayName } : {}), ...(input.publisher ? { publisher: input.publisher } : {}) })),
    });
  }
  return { files, warnings: sets.warnings, omitted };
}

/** The mirrored catalog reference, normalized; InvalidInputError naming each invalid reference. */
function checkCatalog(catalog: { source: string; mirrored: string }): string {
  const problems: Problem[] = [];
  const normalize = (text: string, role: string): string | undefined => {
    try {
      return formatReference(parseReference(text));
    } catch (err) {
      if (!(err instanceof ReferenceError)) throw err;
      problems.push({ file: text, message: `${role}: ${err.message}` });
      return undefined;
    }
  };
  normalize(catalog.source, 'catalog image');
  const mirrored = normalize(catalog.mirrored, 'mirrored catalog image');
  if (mirrored === undefined || problems.length > 0) throw new InvalidInputError(problems);
  return mirrored;
}
