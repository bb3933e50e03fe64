import { Args, Flags } from '@oclif/core';
import { FerryCommand, type Outcome } from '../cli/base-command.js';
import { advertisedAddress, isUnspecifiedHost, parseListenAddress } from '../archive/serve/listen-address.js';
import type { ServeEvent } from '../archive/serve/registry-server.js';
import { serveArchive } from '../archive/serve/serve-archive.js';
import { writeServeManifests, type ServeManifests } from '../archive/serve/serve-manifests.js';
import { UsageError } from '../errors.js';

export interface ServeResult {
  archive: string;
  identity: string;
  /** `HOST:PORT` the server listened on. */
  listen: string;
  images: number;
  repositories: number;
  /** Requests answered before the server stopped. */
  requests: number;
  /** Each served image: its source and the reference to pull it by (tag; the digest works too). */
  names: Array<{ source: string; reference: string; digest: string }>;
  manifests?: ServeManifests;
}

export default class Serve extends FerryCommand<ServeResult> {
  static override summary = "Serve an archive's images as a read-only registry, in place (nothing is extracted).";
  static override description =
    'Opens a ferry archive (NAME.tar, its first volume NAME.001.tar, or a folder ferry unpack wrote) and answers the OCI distribution API read-only: /v2/, manifests and blobs by tag and digest (HEAD, Range), tag lists and _catalog. ' +
    'Repositories are named as push names them (quay.io/x/app → quay-io-x-app, under --namespace; --max-components as oc names them) or, with --source-names, by their source (quay.io/x/app). ' +
    'Digest-only images are also tagged with the FNV tag push gives them. ' +
    'The archive is not verified as a whole before serving: every manifest is checked against its digest when read, every blob as it is streamed; a blob found damaged is never delivered complete (its connection is cut). Run ferry verify for the whole proof. ' +
    'When ready, prints "listening on http://HOST:PORT" on stdout (on stderr with --json) and a summary on stderr, then serves until SIGINT or SIGTERM and exits 0. ' +
    'It binds 127.0.0.1 unless --listen says otherwise; it has no authentication and no TLS. With --manifests it writes the cluster manifests and mapping.txt pointing at the served names (--advertise: the HOST[:PORT] the cluster reaches it at).';
  static override examples = [
    '<%= config.bin %> <%= command.id %> catalog.tar',
    '<%= config.bin %> <%= command.id %> /media/dvd/catalog.001.tar --listen 127.0.0.1:0 --source-names',
    '<%= config.bin %> <%= command.id %> ./unpacked --listen 0.0.0.0:5000 --namespace olm --manifests ./manifests --advertise mirror.lab.example:5000',
  ];

  static override args = {
    archive: Args.string({ description: 'The archive (NAME.tar), its first volume (NAME.001.tar; the others are found beside it), or a folder ferry unpack wrote.', required: true }),
  };

  static override flags = {
    listen: Flags.string({ description: 'HOST:PORT to listen on ([::1]:PORT for IPv6; port 0 picks a free one). A non-loopback address makes the images readable by anyone who can reach it.', default: '127.0.0.1:5000' }),
    namespace: Flags.string({ description: 'Put every repository under this path (e.g. olm → HOST:PORT/olm/quay-io-x-app).' }),
    'max-components': Flags.integer({ description: 'Name repositories as oc adm catalog mirror does: drop the source host, keep this many path components (0 = all).', min: 0, exclusive: ['source-names'] }),
    'source-names': Flags.boolean({ description: "Name repositories by their source, host first (quay.io/x/app; a port's : becomes -), tags as in the source." }),
    manifests: Flags.string({ description: 'Write the cluster manifests (ICSP, IDMS, ITMS, CatalogSource) and mapping.txt for the served names into this folder.' }),
    advertise: Flags.string({ description: 'HOST[:PORT] the cluster reaches this server at, for --manifests (default: the listen address; the listen port when no port is given).', dependsOn: ['manifests'] }),
  };

  protected async execute(): Promise<Outcome<ServeResult>> {
    const { args, flags } = await this.parse(Serve);
    const level = flags['log-level'];
    const listen = parseListenAddress(flags.listen);
    if (flags.manifests !== undefined && flags.advertise === undefined && isUnspecifiedHost(listen.host)) {
      throw new UsageError(`--listen ${flags.listen} listens on every address: give --advertise HOST[:PORT] to say which one the cluster uses`);
    }
    const naming = {
      ...(flags.namespace === undefined ? {} : { namespace: flags.namespace }),
      ...(flags['max-components'] === undefined ? {} : { maxComponents: flags['max-components'] }),
      ...(flags['source-names'] ? { sourceNames: true } : {}),
    };
    const warnings: string[] = [];
    const warn = (message: string): void => {
      warnings.push(message);
      if (!this.jsonEnabled() && level !== 'error') this.logToStderr(`warning: ${message}`);
    };
    const onEvent = (event: ServeEvent): void => {
      if (event.kind === 'damaged') {
        warn(`${event.repository}: ${event.digest} is damaged in the archive; the transfer was refused or cut (${event.message})`);
      } else if (level === 'debug' || (event.error !== undefined && level !== 'error')) {
        const outcome = event.completed ? '' : ' (connection cut)';
        this.logToStderr(`${event.method} ${event.path} ${event.status}${outcome} ${event.durationMs}ms${event.error === undefined ? '' : `: ${event.error}`}`);
      }
    };

    const { served, server } = await serveArchive(args.archive, { host: listen.host, port: listen.port, naming, onEvent });
    let manifests: ServeManifests | undefined;
    try {
      for (const w of served.warnings) warn(w);
      if (!server.loopback) warn(`listening on ${server.address}: this registry has no authentication and no TLS; anyone who can reach that address can pull every image of the archive`);
      if (flags.manifests !== undefined) {
        const catalog = served.images.find((i) => i.source === served.catalog)?.source;
        manifests = await writeServeManifests({
          images: served.images.map((i) => i.source),
          ...(catalog === undefined ? {} : { catalog }),
          naming,
          advertise: advertisedAddress(flags.advertise ?? server.address, server.port),
          manifestsDir: flags.manifests,
        });
        for (const w of manifests.warnings) warn(w);
      }

      const line = `listening on ${server.url}`;
      // With --json stdout holds only the envelope (and oclif mutes its own loggers): the line goes to stderr.
      if (this.jsonEnabled()) process.stderr.write(`${line}\n`);
      else this.log(line);
      this.info(`serving ${served.images.length} image${served.images.length === 1 ? '' : 's'} in ${served.repositoryNames.length} repositor${served.repositoryNames.length === 1 ? 'y' : 'ies'} from ${served.path} (read-only; blobs verified as served)`);
      if (manifests) this.info(`wrote ${manifests.written.join(', ')}`);
      if (level === 'debug') for (const i of served.images) this.logToStderr(`  ${server.address}/${i.repository}:${i.tag} ← ${i.source}`);

      await this.stopRequested();
    } finally {
      await server.close();
    }
    return {
      result: {
        archive: served.path,
        identity: served.identity,
        listen: server.address,
        images: served.images.length,
        repositories: served.repositoryNames.length,
        requests: server.requests(),
        names: served.images.map((i) => ({ source: i.source, reference: `${server.address}/${i.repository}:${i.tag}`, digest: i.digest })),
        ...(manifests ? { manifests } : {}),
      },
      // Already printed as they happened; the JSON envelope carries them.
      warnings: this.jsonEnabled() ? warnings : [],
    };
  }

  protected display(r: ServeResult): void {
    this.info(`stopped after ${r.requests} request${r.requests === 1 ? '' : 's'}`);
  }

  /** Resolves on SIGTERM or SIGINT (Ctrl-C). */
  private stopRequested(): Promise<void> {
    return new Promise<void>((resolve) => {
      const stop = (): void => {
        process.removeListener('SIGTERM', stop);
        this.signal.removeEventListener('abort', stop);
        resolve();
      };
      process.once('SIGTERM', stop);
      if (this.signal.aborted) stop();
      else this.signal.addEventListener('abort', stop, { once: true });
    });
  }
}
