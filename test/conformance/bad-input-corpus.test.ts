/** Bad input from the shared corpus, named with each file, line and column (the main suite has a synthetic twin in test/bad-input.test.ts). */
import path from 'node:path';
import { describe, it } from 'node:test';
import { assertLoadedWithWarnings } from '../helpers/refusal.js';
import { corpusDir } from './shared-paths.js';

describe('invalid input from the shared corpus', () => {
  it('the malformed dependencies.yaml of eventing-kogito: ignored with a warning naming line and column, as opm ignores it', () => {
    assertLoadedWithWarnings(path.join(corpusDir, 'bundles', 'eventing-kogito'), [
      { file: '1.1.0/metadata/dependencies.yaml', message: /malformed YAML at line 22, column 12/ },
      { file: '1.2.0/metadata/dependencies.yaml', message: /malformed YAML at line 22, column 12/ },
    ]);
  });
});
