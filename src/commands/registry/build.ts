import { Flags } from '@oclif/core';
import { FerryCommand, type Outcome } from '../../cli/base-command.js';
import { fromDirFlag, modeFlag } from '../../cli/flags.js';
import { buildDatabase, type BuildDatabaseResult } from '../../catalog/operations/build-database.js';
import { UsageError } from '../../errors.js';

export default class RegistryBuild extends FerryCommand<BuildDatabaseResult> {
  static override summary = 'Build a catalog (an operator-registry database) from operator manifests.';
  static override description =
    'Loads every package found under the --from-dir folders, validates all of them (every problem is reported at once, and nothing is written when there is one), and writes an opm schema-13 database. With --db-only the database is written to DIR/index.db.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --from-dir ./manifests --db-only --save ./out',
    '<%= config.bin %> <%= command.id %> --from-dir ./community --from-dir ./bundles --mode semver --db-only --save ./out --json',
  ];

  static override flags = {
    'from-dir': fromDirFlag,
    mode: modeFlag,
    'db-only': Flags.boolean({ description: 'Write only the database (DIR/index.db), no catalog image.', default: false }),
    save: Flags.string({ description: 'Folder to write index.db into (with --db-only).', required: true }),
  };

  protected async execute(): Promise<Outcome<BuildDatabaseResult>> {
    const { flags } = await this.parse(RegistryBuild);
    if (!flags['db-only']) {
      throw new UsageError('building a catalog image is not available yet; add --db-only to write the database only', [
        'ferry registry build --from-dir DIR --db-only --save OUTDIR',
      ]);
    }
    const result = await buildDatabase({ fromDirs: flags['from-dir'], outputDir: flags.save, mode: flags.mode });
    for (const note of result.notes) this.info(note);
    return { result, warnings: result.warnings };
  }

  protected display(r: BuildDatabaseResult): void {
    this.log(`wrote ${r.database}: ${r.packages} packages, ${r.channels} channels, ${r.bundles} bundles`);
  }
}
