/**
 * `ferry serve`: an archive (file, first volume or unpacked folder) opened in place, its images named
 * as push names them (or by their sources), served by a read-only registry. Blobs are verified as they
 * are served, not beforehand: the archive is not read whole before the server starts.
 */
import { openArchive } from '../read/open-archive.js';
import { buildServedArchive, type ServedArchive } from './served-archive.js';
import { checkServeNaming, type ServeNaming } from './served-names.js';
import { startRegistryServer, type RegistryServerOptions, type RunningRegistry } from './registry-server.js';

export interface ServeArchiveOptions extends RegistryServerOptions {
  naming?: ServeNaming;
}

export interface ServingArchive {
  served: ServedArchive;
  server: RunningRegistry;
}

export async function serveArchive(input: string, options: ServeArchiveOptions = {}): Promise<ServingArchive> {
  const naming = options.naming ?? {};
  checkServeNaming(naming);
  const served = await buildServedArchive(await openArchive(input), naming);
  const server = await startRegistryServer(served, options);
  return { served, server };
}
