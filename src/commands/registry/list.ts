import { FerryCommand, type Outcome } from '../../cli/base-command.js';
import { databaseFlag } from '../../cli/flags.js';
import { listCatalog, type CatalogListing } from '../../catalog/operations/list-catalog.js';

export default class RegistryList extends FerryCommand<CatalogListing> {
  static override summary = 'List the packages, channels and channel heads of a database.';
  static override examples = ['<%= config.bin %> <%= command.id %> --database index.db', '<%= config.bin %> <%= command.id %> --database index.db --json'];

  static override flags = { database: databaseFlag };

  protected async execute(): Promise<Outcome<CatalogListing>> {
    const { flags } = await this.parse(RegistryList);
    return { result: await listCatalog({ database: flags.database }) };
  }

  protected display(r: CatalogListing): void {
    for (const p of r.packages) {
      this.log(`${p.name} (default channel ${p.defaultChannel || '-'}, ${p.bundles.length} bundles)`);
      for (const c of p.channels) this.log(`  ${c.name}${c.name === p.defaultChannel ? ' *' : ''}: ${c.head}`);
    }
  }
}
