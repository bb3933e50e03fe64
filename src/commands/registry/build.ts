import { statSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { FerryCommand, type Outcome } from '../../cli/base-command.js';
import { copyProgress } from '../../cli/copy-progress.js';
import { catalogSourceFlags, catalogSources, hasCatalogSource } from '../../cli/catalog-source-flags.js';
import { copyRegistryFlags, copyRegistryOptions, jobsFlag } from '../../cli/registry-flags.js';
import { buildCatalog, type BuildCatalogResult } from '../../catalog/operations/build-catalog.js';
import { DEFAULT_BASE_IMAGE, DEFAULT_FBC_BASE_IMAGE, defaultBaseImage, type CatalogFormat } from '../../catalog/image/catalog-labels.js';
import { UsageError } from '../../errors.js';

export default class RegistryBuild extends FerryCommand<BuildCatalogResult> {
  static override summary = 'Build a catalog image (or only its operator-registry database) from operator manifests.';
  static override description =
    `Loads every package found under the --from-dir folders, validates all of them (every problem is reported at once, and nothing is written when there is one), and writes an opm schema-13 database. Then, without a container engine, builds the catalog image: the base image (--from; every platform of a multi-platform base) plus one layer holding /database/index.db, with the label operators.operatorframework.io.index.database.v1, Entrypoint /bin/opm, Cmd registry serve, and port 50051. The default base for a sqlite catalog is ${DEFAULT_BASE_IMAGE}: opm releases after v1.73.0 no longer serve sqlite, so a sqlite catalog on opm:latest fails at start (ferry warns). --output-format fbc writes the catalog as a file-based catalog instead (exactly what opm render of the database gives, /configs/<package>/catalog.json, label operators.operatorframework.io.index.configs.v1=/configs, Cmd serve /configs --cache-dir=/tmp/cache; default base ${DEFAULT_FBC_BASE_IMAGE}). --to pushes it; --save FILE writes it as a tarball (OCI layout plus docker manifest.json: docker load, podman load, skopeo oci-archive: and docker-archive: read it). --db-only --save DIR writes only DIR/index.db (with --output-format fbc: only the folder DIR/configs). The same input gives the same image digest (set SOURCE_DATE_EPOCH to choose the date stamped in).`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --from-dir ./manifests --to mirror.example:5000/olm/catalog:v1',
    '<%= config.bin %> <%= command.id %> --from-dir ./manifests --from mirror.example:5000/opm:latest --save catalog.tar --tag example.com/olm/catalog:v1',
    '<%= config.bin %> <%= command.id %> --from-dir ./manifests --db-only --save ./out',
    '<%= config.bin %> <%= command.id %> --from-dir ./manifests --output-format fbc --to mirror.example:5000/olm/catalog:v1',
  ];

  static override flags = {
    ...catalogSourceFlags,
    from: Flags.string({
      description: `Base image the catalog is added to (also spelled --binary-image, as in opm). Default: ${DEFAULT_BASE_IMAGE} for sqlite (the last opm that serves sqlite), ${DEFAULT_FBC_BASE_IMAGE} for --output-format fbc.`,
      aliases: ['binary-image'],
    }),
    'output-format': Flags.option({ options: ['sqlite', 'fbc'] as const, description: 'What the catalog image holds: the sqlite database, or a file-based catalog (fbc) rendered from it.', default: 'sqlite' as const })(),
    to: Flags.string({ description: 'Push the catalog image here.', exclusive: ['save'] }),
    save: Flags.string({ description: 'Write the catalog image to this tarball (with --db-only: the folder that receives index.db).' }),
    tag: Flags.string({ description: 'Name of the image inside a --save tarball (its RepoTags for docker load).', default: 'localhost/ferry/catalog:latest' }),
    'db-only': Flags.boolean({ description: 'Write only the database (--save DIR → DIR/index.db; with --output-format fbc → DIR/configs), no image.', default: false }),
    ...copyRegistryFlags,
    jobs: jobsFlag,
  };

  protected async execute(): Promise<Outcome<BuildCatalogResult>> {
    const { flags } = await this.parse(RegistryBuild);
    const sources = catalogSources(flags, (l) => this.info(l));
    if (!hasCatalogSource(flags)) {
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
      const format: CatalogFormat = flags['output-format'];
      const result = await buildCatalog({
        ...sources,
        base: flags.from ?? defaultBaseImage(format),
        outputFormat: format,
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
    this.log(`wrote ${r.database ?? r.configs}: ${r.catalogPackages.length} packages in the catalog; loaded now: ${r.packages} packages, ${r.channels} channels, ${r.bundles} bundles`);
  }
}
