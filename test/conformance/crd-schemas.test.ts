/** The committed schemas/*.schema.json equal their derivation from ../shared/reference/crds (test/conformance/crd-schema.ts). */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { derivedSchemaFiles } from './crd-schema.js';

describe('schemas derived from the CRDs', () => {
  for (const { file, text } of derivedSchemaFiles()) {
    it(`${path.basename(file)} equals its derivation from the CRD`, () => {
      assert.ok(existsSync(file), `${file} is missing`);
      assert.equal(readFileSync(file, 'utf8'), text);
    });
  }
});
