/** Shared-corpus packages whose images really exist (helpers/package-images.ts over ../shared/corpus/package-manifests). */
import path from 'node:path';
import { buildImageFixture, type ImageFixture } from '../helpers/package-images.js';
import type { RegistryEndpoint } from '../helpers/skopeo.js';
import { corpusDir } from './shared-paths.js';

/** Copies `packages` (folder names under corpus/package-manifests) with every image rewritten to a synthetic image pushed to `registry`. */
export function buildCorpusFixture(packages: readonly string[], registry: RegistryEndpoint): Promise<ImageFixture> {
  return buildImageFixture(
    packages.map((p) => path.join(corpusDir, 'package-manifests', p)),
    registry,
  );
}
