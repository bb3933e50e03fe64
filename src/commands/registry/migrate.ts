import { Args, Flags } from '@oclif/core';
import { FerryCommand, type Outcome } from '../../cli/base-command.js';
import { registryOptions, singleRegistryFlags } from '../../cli/registry-flags.js';
import { migrateCatalog, type MigrateCatalogResult } from '../../catalog/operations/migrate-catalog.js';

export default class RegistryMigrate extends FerryCommand<MigrateCatalogResult> {
  static override summary = 'Turn a sqlite catalog (database or catalog image) into a file-based catalog, as opm migrate does.';
  static override description =
    'Reads SOURCE, a database file or a sqlite catalog image (docker://REF or a bare reference, oci:DIR[:NAME], oci-archive:FILE[:NAME]), and writes its catalog as a file-based catalog: DIR/<package>/catalog.json (or catalog.yaml with -o yaml), the objects exactly as opm render gives them for the same database. DIR must be missing or empty; nothing is left behind when the migrate fails. Serve it with opm serve DIR, or build an image with registry build --output-format fbc.';
  static override examples = ['<%= config.bin %> <%= command.id %> index.db ./catalog', '<%= config.bin %> <%= command.id %> quay.io/example/catalog:v1 ./catalog -o yaml'];

  static override args = {
    source: Args.string({ description: 'A database file, or a sqlite catalog image.', required: true }),
    dir: Args.string({ description: 'The folder that receives the file-based catalog (missing or empty).', required: true }),
  };

  static override flags = {
    output: Flags.option({ char: 'o', options: ['json', 'yaml'] as const, description: 'File format (json or yaml), as opm migrate -o.', default: 'json' as const })(),
    ...singleRegistryFlags,
  };

  protected async execute(): Promise<Outcome<MigrateCatalogResult>> {
    const { args, flags } = await this.parse(RegistryMigrate);
    const result = await migrateCatalog({ source: args.source, outputDir: args.dir, format: flags.output, registry: registryOptions(flags), signal: this.signal });
    return { result };
  }

  protected display(r: MigrateCatalogResult): void {
    this.log(`wrote ${r.outputDir}: ${r.packages.length} packages, ${r.channels} channels, ${r.bundles} bundles (${r.files.length} files)`);
  }
}
