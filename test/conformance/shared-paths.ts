/**
 * ../shared beside the repository, as CI lays it out: the real operator corpus, the reference facts
 * and real opm. Only the conformance suite (test/conformance, `npm run test:opm`) may read it; the
 * main suite (`npm test`) must pass on a fresh clone that has no ../shared.
 */
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';

export const sharedDir = path.resolve(repoRoot, '..', 'shared');
export const corpusDir = path.join(sharedDir, 'corpus');
export const referenceDir = path.join(sharedDir, 'reference');
