/**
 * The entry point every benchmark shares: run `main`, report a failure (`describe` names its kind),
 * and always stop the registries and remove the scratch folder, also on Ctrl-C.
 */
import { stopAllRegistries } from './local-registries.js';
import { removeScratchDir } from './scratch-dir.js';

export async function runBenchmark(name: string, main: () => Promise<void>, describe: (err: unknown) => string = () => 'failed'): Promise<void> {
  process.once('SIGINT', () => {
    console.error(`${name} interrupted; cleaning up`);
    // The registry helper kills its registries and removes their storage on exit.
    removeScratchDir();
    process.exit(130);
  });
  try {
    await main();
  } catch (err) {
    console.error(`${name} ${describe(err)}: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  } finally {
    await stopAllRegistries();
    removeScratchDir();
  }
}
