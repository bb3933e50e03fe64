/**
 * `npm run goldens:opm`: regenerates test/golden/opm with real opm (../shared/tools/opm). Commit the
 * result; test/conformance/opm-goldens.test.ts checks that opm still gives it.
 */
import { goldenOpmDir } from '../helpers/opm-goldens.js';
import { makeOpmGoldens } from './opm-goldens.js';

await makeOpmGoldens(goldenOpmDir);
process.stdout.write(`wrote ${goldenOpmDir}\n`);
