/**
 * JSON Schema validation (ajv) of the input documents ferry relies on. Schemas live in `schemas/` at
 * the package root. Every violation becomes a problem naming the file and the field.
 */
import { describeSchemaError, schemaValidator } from '../util/json-schemas.js';
import type { ProblemList } from './problems.js';

export type SchemaName = 'package-manifest' | 'cluster-service-version' | 'bundle-annotations' | 'bundle-dependencies';

/** Validates `doc`; adds one problem per violation. Returns true when valid. */
export function validateDocument(name: SchemaName, doc: unknown, file: string, problems: ProblemList, fieldPrefix = ''): boolean {
  const v = schemaValidator(name);
  if (v(doc)) return true;
  for (const e of v.errors ?? []) {
    const { field, message } = describeSchemaError(e);
    const full = [fieldPrefix, field].filter((s) => s !== '').join('.');
    problems.add(file, message, full === '' ? undefined : full);
  }
  return false;
}
