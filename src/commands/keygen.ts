import { Flags } from '@oclif/core';
import { FerryCommand, type Outcome } from '../cli/base-command.js';
import { writeKeyPair, type KeyPairFiles } from '../archive/signing.js';

export default class Keygen extends FerryCommand<KeyPairFiles> {
  static override summary = 'Create an ed25519 key pair to sign archives (PREFIX.key) and verify them (PREFIX.pub).';
  static override description =
    'Writes PREFIX.key, the private key (PKCS#8 PEM, mode 0600: keep it on the connected side) and PREFIX.pub, the public key (SPKI PEM, mode 0644: carry it to the disconnected side by a trusted path). ' +
    'The fingerprint, SHA256:<base64 of the sha256 of the raw 32-byte public key>, lets the receiver confirm they hold the right public key. ' +
    'Existing files are never replaced without --force. Keys made with `openssl genpkey -algorithm ed25519` work as well.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --output keys/catalogs-2025',
    '<%= config.bin %> <%= command.id %> --output keys/catalogs-2025 --force --json',
  ];

  static override flags = {
    output: Flags.string({
      char: 'o',
      description: 'Prefix of the two files: PREFIX.key (private) and PREFIX.pub (public). Folders are created as needed.',
      default: './ferry-signing',
    }),
    force: Flags.boolean({ description: 'Replace an existing key pair (archives signed with the old key will no longer verify with the new public key).' }),
  };

  protected async execute(): Promise<Outcome<KeyPairFiles>> {
    const { flags } = await this.parse(Keygen);
    return { result: await writeKeyPair(flags.output, { force: flags.force }) };
  }

  protected display(r: KeyPairFiles): void {
    this.log(`Private key: ${r.privateKey} (keep it secret)`);
    this.log(`Public key:  ${r.publicKey}`);
    this.log(`Fingerprint: ${r.fingerprint}`);
    this.log('');
    this.log(`Sign an archive:   ${this.config.bin} pack --sign-key ${shellWord(r.privateKey)} ...`);
    this.log(`Verify an archive: ${this.config.bin} verify --key ${shellWord(r.publicKey)} ...`);
  }
}

/** A path as one shell word: quoted when it holds anything but safe characters. */
function shellWord(p: string): string {
  return /^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replaceAll("'", "'\\''")}'`;
}
