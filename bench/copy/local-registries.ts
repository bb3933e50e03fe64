/** The local registries the copy benchmark starts (no auth, plain HTTP), tracked so the exit path can stop any left running. */
import { startRegistry, type TestRegistry } from '../../test/helpers/registry.js';

const registries = new Set<TestRegistry>();

export async function freshRegistry(): Promise<TestRegistry> {
  const r = await startRegistry({ auth: 'none' });
  registries.add(r);
  return r;
}

export async function stopRegistry(r: TestRegistry): Promise<void> {
  registries.delete(r);
  await r.stop();
}

/** Stops every registry still running, ignoring failures (clean-up at exit). */
export async function stopAllRegistries(): Promise<void> {
  for (const r of [...registries]) await stopRegistry(r).catch(() => undefined);
}
