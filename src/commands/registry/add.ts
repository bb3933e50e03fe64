import { FerryCommand, type Outcome } from '../../cli/base-command.js';
import { databaseFlag, fromDirFlag, modeFlag } from '../../cli/flags.js';
import { addToDatabase, type AddResult } from '../../catalog/operations/change-database.js';

export default class RegistryAdd extends FerryCommand<AddResult> {
  static override summary = 'Add packages from operator manifests to an existing database.';
  static override description =
    'A package already in the database is replaced by the one loaded. The database is changed in memory and written back atomically only when everything succeeded; an older schema (5 and later) is migrated to 13.';
  static override examples = ['<%= config.bin %> <%= command.id %> --database index.db --from-dir ./more-operators'];

  static override flags = {
    database: databaseFlag,
    'from-dir': fromDirFlag,
    mode: modeFlag,
  };

  protected async execute(): Promise<Outcome<AddResult>> {
    const { flags } = await this.parse(RegistryAdd);
    const result = await addToDatabase({ database: flags.database, fromDirs: flags['from-dir'], mode: flags.mode });
    for (const note of result.notes) this.info(note);
    return { result, warnings: result.warnings };
  }

  protected display(r: AddResult): void {
    this.log(`added ${r.packages} packages (${r.bundles} bundles) to ${r.database}; it now holds ${r.packagesAfter.length} packages`);
  }
}
