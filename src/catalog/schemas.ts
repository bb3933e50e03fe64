/**
 * JSON Schema validation (ajv) of the input documents ferry relies on. Schemas live in `schemas/` at
 * the package root. Every violation becomes a problem naming the file and the field.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { packageRoot } from '../util/package-root.js';
import type { ProblemList } from './problems.js';

export type SchemaName = 'package-manifest' | 'cluster-service-version' | 'bundle-annotations' | 'bundle-dependencies';

const ajv = new Ajv({ allErrors: true, strict: true });
const compiled = new Map<SchemaName, ValidateFunction>();

function validator(name: SchemaName): ValidateFunction {
  let v = compiled.get(name);
  if (!v) {
    const schema = JSON.parse(readFileSync(path.join(packageRoot(), 'schemas', `${name}.schema.json`), 'utf8')) as object;
    v = ajv.compile(schema);
    compiled.set(name, v);
  }
  return v;
}

/** Validates `doc`; adds one problem per violation. Returns true when valid. */
export function validateDocument(name: SchemaName, doc: unknown, file: string, problems: ProblemList, fieldPrefix = ''): boolean {
  const v = validator(name);
  if (v(doc)) return true;
  for (const e of v.errors ?? []) {
    const { field, message } = describe(e);
    const full = [fieldPrefix, field].filter((s) => s !== '').join('.');
    problems.add(file, message, full === '' ? undefined : full);
  }
  return false;
}

function describe(e: ErrorObject): { field: string; message: string } {
  const parts = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let field = parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc === '' ? p : `${acc}.${p}`), '');
  let message = e.message ?? 'is invalid';
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    field = field === '' ? missing : `${field}.${missing}`;
    message = 'is required';
  } else if (e.keyword === 'const') {
    message = `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
  }
  return { field, message };
}
