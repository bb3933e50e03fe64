/** Filling a source registry from a generated layout with skopeo, as both benchmarks do once before they time anything. */
import type { TestRegistry } from '../../test/helpers/registry.js';
import type { Layout } from './generate-layout.js';
import { runSkopeoCopies } from './run-tools.js';
import { verifyRegistry } from './verify-copy.js';

/** Pushes every image of `layout` as `bench/NAME:1` with skopeo (--preserve-digests), checks the registry, and returns the wall time. */
export async function pushWithSkopeo(layout: Layout, registry: TestRegistry): Promise<number> {
  const run = await runSkopeoCopies(
    ['--dest-tls-verify=false', '--preserve-digests'],
    layout.images.map((i) => [`oci:${layout.dir}:${i.name}`, `docker://${registry.host}/bench/${i.name}:1`]),
  );
  await verifyRegistry(registry, layout, `source registry filled by skopeo`);
  return run.wallMs;
}
