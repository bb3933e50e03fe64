import { statSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { FerryCommand, type Outcome } from '../../cli/base-command.js';
import { copyProgress } from '../../cli/copy-progress.js';
import { modeFlag, optionalFromDirFlag } from '../../cli/flags.js';
import { copyRegistryFlags, copyRegistryOptions, jobsFlag } from '../../cli/registry-flags.js';
import { buildCatalog, type BuildCatalogResult } from '../../catalog/operations/build-catalog.js';
import { DEFAULT_APP_REGISTRY_ENDPOINT, type AppRegistryProgress } from '../../catalog/appregistry/index.js';
import { DEFAULT_BASE_IMAGE } from '../../catalog/image/catalog-labels.js';
import { UsageError } from '../../errors.js';

export default class RegistryBuild extends FerryCommand<BuildCatalogResult> {
  static override summary = 'Build a catalog image (or only its operator-registry database) from operator manifests.';
  static override description =
    'Loads every package found under the --from-dir folders, validates all of them (every problem is reported at once, and nothing is written when there is one), and writes an opm schema-13 database. Then, without a container engine, builds the catalog image: the base image (--from; every platform of a multi-platform base) plus one layer holding /database/index.db, with the label operators.operatorframework.io.index.database.v1, Entrypoint /bin/opm, Cmd registry serve, and port 50051. --to pushes it; --save FILE writes it as a tarball (OCI layout plus docker manifest.json: docker load, podman load, skopeo oci-archive: and docker-archive: read it). --db-only --save DIR writes only DIR/index.db. The same input gives the same image digest (set SOURCE_DATE_EPOCH to choose the date stamped in).';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --from-dir ./manifests --to mirror.example:5000/olm/catalog:v1',
    '<%= config.bin %> <%= command.id %> --from-dir ./manifests --from mirror.example:5000/opm:latest --save catalog.tar --tag example.com/olm/catalog:v1',
    '<%= config.bin %> <%= command.id %> --from-dir ./manifests --db-only --save ./out',
  ];

  static override flags = {
    'from-dir': optionalFromDirFlag,
    'appregistry-namespace': Flags.string({ description: 'App Registry namespace whose operators to add (every one, or those named with --appregistry-packages).' }),
    'appregistry-endpoint': Flags.string({ description: 'App Registry endpoint (with --appregistry-namespace).', default: DEFAULT_APP_REGISTRY_ENDPOINT }),
    'appregistry-packages': Flags.string({ description: 'Only these operators of the namespace; PKG:RELEASE pins a release (default: each one\'s default release).', multiple: true, delimiter: ',', dependsOn: ['appregistry-namespace'] }),
    'auth-token': Flags.string({ description: 'App Registry token, sent as the Authorization header (e.g. "basic dXNlcjpwYXNz").', dependsOn: ['appregistry-namespace'] }),
    bundles: Flags.string({ description: 'Bundle images to add (pulled; /manifests and /metadata unpacked; the image becomes a related image). Comma-separated or repeated.', multiple: true, delimiter: ',' }),
    'from-db': Flags.string({ description: 'Start from this database (it is read, never modified).', exclusive: ['from-index'] }),
    'from-index': Flags.string({ description: 'Start from the database of this catalog image.', exclusive: ['from-db'] }),
    mode: modeFlag,
    from: Flags.string({ description: 'Base image the database is added to.', default: DEFAULT_BASE_IMAGE }),
    to: Flags.string({ description: 'Push the catalog image here.', exclusive: ['save'] }),
    save: Flags.string({ description: 'Write the catalog image to this tarball (with --db-only: the folder that receives index.db).' }),
    tag: Flags.string({ description: 'Name of the image inside a --save tarball (its RepoTags for docker load).', default: 'localhost/ferry/catalog:latest' }),
    'db-only': Flags.boolean({ description: 'Write only the database (--save DIR → DIR/index.db), no image.', default: false }),
    ...copyRegistryFlags,
    jobs: jobsFlag,
  };

  protected async execute(): Promise<Outcome<BuildCatalogResult>> {
    const { flags } = await this.parse(RegistryBuild);
    const sources = {
      ...(flags['from-dir'] ? { fromDirs: flags['from-dir'] } : {}),
      ...(flags.bundles ? { bundles: flags.bundles } : {}),
      ...(flags['from-db'] ? { fromDb: flags['from-db'] } : {}),
      ...(flags['from-index'] ? { fromIndex: flags['from-index'] } : {}),
      ...(flags['appregistry-namespace']
        ? {
            appRegistry: {
              namespace: flags['appregistry-namespace'],
              endpoint: flags['appregistry-endpoint'],
              ...(flags['auth-token'] ? { authToken: flags['auth-token'] } : {}),
              ...(flags['appregistry-packages'] ? { packages: flags['appregistry-packages'] } : {}),
              tlsVerify: flags['src-tls-verify'] ?? flags['tls-verify'] ?? true,
              ...(flags['ca-file'] ? { caFile: flags['ca-file'] } : {}),
              onProgress: (e: AppRegistryProgress) => {
                if (e.type === 'listed') this.info(`App Registry ${e.namespace}: ${e.selected} of ${e.available} operators`);
                else if (e.type === 'package-done') this.info(`downloaded ${e.name} ${e.release} (${e.layout}, ${e.files} files) ${e.digest}`);
              },
            },
          }
        : {}),
      mode: flags.mode,
    };
    if (!flags['from-dir'] && !flags.bundles && !flags['from-db'] && !flags['from-index'] && !flags['appregistry-namespace']) {
      throw new UsageError('nothing to build from: give --from-dir, --appregistry-namespace, --bundles, --from-db or --from-index');
    }
    if (flags['db-only'] && !flags.save) throw new UsageError('--db-only needs --save DIR (the folder that receives index.db)');
    if (!flags['db-only'] && !flags.to && !flags.save) throw new UsageError('say where the catalog image goes: --to REF (push) or --save FILE (tarball); or --db-only --save DIR');
    if (!flags['db-only'] && flags.save && statSync(flags.save, { throwIfNoEntry: false })?.isDirectory()) {
      throw new UsageError(`--save ${flags.save} is a folder: the catalog image is saved as a tarball file`, ['add --db-only to write only FOLDER/index.db', 'or give a file name: --save catalog.tar']);
    }
    const progress = copyProgress({ enabled: this.showsProgress() && !flags['db-only'], log: (l) => this.info(l) });
    try {
      const registry = copyRegistryOptions(flags);
      const result = await buildCatalog({
        ...sources,
        base: flags.from,
        ...(flags['db-only'] ? { databaseDir: flags.save! } : { destination: flags.to ?? `oci-archive:${flags.save}:${flags.tag}` }),
        source: registry.source,
        target: registry.destination,
        jobs: flags.jobs,
        signal: this.signal,
        ...(progress.listener ? { onEvent: progress.listener } : {}),
      });
      for (const note of result.notes) this.info(note);
      return { result, warnings: result.warnings };
    } finally {
      progress.stop();
    }
  }

  protected display(r: BuildCatalogResult): void {
    if (r.image) {
      this.log(`${r.image.destination} ${r.image.digest}`);
      this.info(`${r.catalogPackages.length} packages in the catalog (${r.packages} loaded, ${r.bundles} bundles); on ${r.image.base.reference}${r.image.platforms.length ? ` (${r.image.platforms.join(', ')})` : ''}`);
      return;
    }
    this.log(`wrote ${r.database}: ${r.packages} packages, ${r.channels} channels, ${r.bundles} bundles`);
  }
}
