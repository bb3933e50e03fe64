/**
 * Turns a CSV and the objects beside it into a model Bundle, checking the CSV against its schema and
 * opm's rules. Problems go to the list; the result is undefined when the bundle cannot be used.
 */
import {
  csvOlmProperties,
  csvReplaces,
  csvSkipRange,
  csvSkips,
  csvSubstitutesFor,
  csvVersion,
  nameOf,
  requiredApis,
} from './csv.js';
import type { Bundle, KubeObject, TypedValue } from './model.js';
import type { ProblemList } from './problems.js';
import { validateDocument } from './schemas.js';

export interface BundleInput {
  csv: KubeObject;
  objects: readonly KubeObject[];
  packageName: string;
  bundlePath?: string;
  channels?: readonly string[];
  defaultChannelAnnotation?: string;
  properties?: readonly TypedValue[];
  dependencies?: readonly TypedValue[];
  source: string;
}

export function makeBundle(input: BundleInput, problems: ProblemList): Bundle | undefined {
  const { csv } = input;
  if (!validateDocument('cluster-service-version', csv.object, csv.file, problems)) return undefined;
  const olmProperties = csvOlmProperties(csv.object);
  if (typeof olmProperties === 'string') {
    problems.add(csv.file, olmProperties, 'metadata.annotations.olm.properties');
    return undefined;
  }
  if (csvSubstitutesFor(csv.object) !== '') {
    // opm (v1.26 to v1.73) loads it only with --enable-alpha; a catalog opm cannot build is refused here too.
    problems.add(csv.file, 'olm.substitutesFor is an alpha feature that opm refuses (it needs opm --enable-alpha); remove the annotation to load this bundle', 'metadata.annotations.olm.substitutesFor');
    return undefined;
  }
  const required = requiredApis(csv.object);
  for (const e of required.errors) problems.add(csv.file, e, 'spec.customresourcedefinitions.required');
  if (required.errors.length > 0) return undefined;
  return {
    name: nameOf(csv.object),
    packageName: input.packageName,
    version: csvVersion(csv.object),
    replaces: csvReplaces(csv.object),
    skips: csvSkips(csv.object),
    skipRange: csvSkipRange(csv.object),
    substitutesFor: csvSubstitutesFor(csv.object),
    csv,
    objects: input.objects,
    bundlePath: input.bundlePath ?? '',
    channels: input.channels ?? [],
    ...(input.defaultChannelAnnotation ? { defaultChannelAnnotation: input.defaultChannelAnnotation } : {}),
    extraProperties: [...(input.properties ?? []), ...olmProperties],
    extraDependencies: input.dependencies ?? [],
    source: input.source,
  };
}
