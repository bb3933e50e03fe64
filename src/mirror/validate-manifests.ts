/**
 * Validation of the cluster objects ferry writes (ImageContentSourcePolicy, ImageDigestMirrorSet,
 * ImageTagMirrorSet, CatalogSource) against JSON Schemas derived from the real CRDs
 * (schemas/<kind>.schema.json; see test/conformance/crd-schema.ts for the derivation), through the
 * project's one schema loader, with wording added for the keywords only these schemas use.
 */
import type { ErrorObject } from 'ajv';
import type { Problem } from '../errors.js';
import { parseYamlStream, YamlSyntaxError } from '../catalog/manifests/yaml.js';
import { describeSchemaError, schemaValidator } from '../util/json-schemas.js';

/** apiVersion and kind of each object ferry validates, and its schema file under schemas/. */
export const CLUSTER_OBJECT_SCHEMAS: ReadonlyArray<{ apiVersion: string; kind: string; schema: string }> = [
  { apiVersion: 'operator.openshift.io/v1alpha1', kind: 'ImageContentSourcePolicy', schema: 'imagecontentsourcepolicy' },
  { apiVersion: 'config.openshift.io/v1', kind: 'ImageDigestMirrorSet', schema: 'imagedigestmirrorset' },
  { apiVersion: 'config.openshift.io/v1', kind: 'ImageTagMirrorSet', schema: 'imagetagmirrorset' },
  { apiVersion: 'operators.coreos.com/v1alpha1', kind: 'CatalogSource', schema: 'catalogsource' },
];

/**
 * Problems of one object (none when valid). `file` names it in the problems; default `Kind/name`.
 * An object of another apiVersion/kind is one problem.
 */
export function validateClusterObject(object: unknown, file?: string): Problem[] {
  const o = (typeof object === 'object' && object !== null ? object : {}) as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } };
  const where = file ?? `${typeof o.kind === 'string' ? o.kind : 'object'}/${typeof o.metadata?.name === 'string' ? o.metadata.name : '(no name)'}`;
  const entry = CLUSTER_OBJECT_SCHEMAS.find((s) => s.apiVersion === o.apiVersion && s.kind === o.kind);
  if (!entry) {
    return [{ file: where, message: `not a kind ferry validates (apiVersion ${JSON.stringify(o.apiVersion)}, kind ${JSON.stringify(o.kind)})` }];
  }
  const v = schemaValidator(entry.schema);
  if (v(object)) return [];
  return (v.errors ?? []).map((e) => {
    const { field, message } = describe(e);
    return field === '' ? { file: where, message } : { file: where, field, message };
  });
}

/** Problems of every object in the YAML stream `text` (read as the cluster's go-yaml reads it). */
export function validateClusterManifest(text: string, file: string): Problem[] {
  let objects: unknown[];
  try {
    objects = parseYamlStream(text);
  } catch (err) {
    if (err instanceof YamlSyntaxError) return [{ file: err.line === undefined ? file : `${file}:${err.line}`, message: err.message }];
    throw err;
  }
  return objects.flatMap((o, i) => validateClusterObject(o, objects.length === 1 ? file : `${file}[${i}]`));
}

function describe(e: ErrorObject): { field: string; message: string } {
  let { field, message } = describeSchemaError(e);
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    field = field === '' ? extra : `${field}.${extra}`;
    message = 'is not a field of this kind';
  } else if (e.keyword === 'enum') {
    message = `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
  } else if (e.keyword === 'false schema') {
    message = field === 'metadata.namespace' ? 'must not be set: the kind is cluster-scoped' : 'must not be set';
  }
  return { field, message };
}
