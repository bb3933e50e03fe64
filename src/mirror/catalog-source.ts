/**
 * The CatalogSource (`operators.coreos.com/v1alpha1`) that points a cluster at the mirrored catalog:
 * namespace `openshift-marketplace`, `sourceType: grpc`, the mirrored catalog image, and the display
 * name and publisher when given (users hand-edit these into oc's output today). Its name, which also
 * names the mirror-set objects (`<name>-0`, …), must be a DNS-1123 label.
 */
import { UsageError } from '../errors.js';

export const CATALOG_SOURCE_NAMESPACE = 'openshift-marketplace';
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_LABEL_MAX = 63;

/** Throws UsageError unless `name` is a DNS-1123 label (lowercase letters, digits, `-` inside; at most 63). */
export function checkCatalogName(name: string): void {
  const reasons: string[] = [];
  if (name.length === 0) reasons.push('it is empty');
  if (name.length > DNS1123_LABEL_MAX) reasons.push(`it is ${name.length} characters long, over ${DNS1123_LABEL_MAX}`);
  if (name.length > 0 && !DNS1123_LABEL.test(name)) reasons.push('only lowercase letters, digits and "-" are allowed, and it must start and end with a letter or digit');
  if (reasons.length === 0) return;
  const suggestion = name
    .toLowerCase()
    .replace(/[^-a-z0-9]+/g, '-')
    .slice(0, DNS1123_LABEL_MAX)
    .replace(/^-+|-+$/g, '');
  throw new UsageError(
    `invalid catalog name "${name}": not a DNS-1123 label (${reasons.join('; ')})`,
    suggestion === '' ? ['choose a name such as my-catalog'] : [`use ${suggestion}`],
  );
}

export interface CatalogSourceSpec {
  name: string;
  /** The mirrored catalog image. */
  image: string;
  displayName?: string;
  publisher?: string;
}

export function catalogSourceObject(spec: CatalogSourceSpec): Record<string, unknown> {
  checkCatalogName(spec.name);
  return {
    apiVersion: 'operators.coreos.com/v1alpha1',
    kind: 'CatalogSource',
    metadata: { name: spec.name, namespace: CATALOG_SOURCE_NAMESPACE },
    spec: {
      sourceType: 'grpc',
      image: spec.image,
      ...(spec.displayName ? { displayName: spec.displayName } : {}),
      ...(spec.publisher ? { publisher: spec.publisher } : {}),
    },
  };
}
