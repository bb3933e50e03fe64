/**
 * The one error every command gives for a damaged ferry archive: ARCHIVE_DAMAGED, exit 6, with the
 * problems `ferry verify` lists for it (each with its stable kind: VOLUMES, CHECKSUM_MISMATCH, …).
 * verify reports problems; push, unpack, serve and inspect throw them as this error, so the same
 * damage gives the same code and kind from every command.
 */
import { ExitCode, FerryError } from '../errors.js';

export interface ArchiveProblem {
  /** Stable kind: VOLUMES, UNSAFE_PATH, CHECKSUMS (the file does not parse), NOT_LISTED, MISSING_MEMBER, CHECKSUM_MISMATCH, DIGEST_MISMATCH, IDENTITY_MISMATCH, SIGNATURE, MISSING_BLOB, SIZE_MISMATCH, METADATA. */
  kind: string;
  message: string;
  member?: string;
  /** The volumes (1-based) the problem lies in, when known. */
  volumes?: number[];
}

/** Problems shown in the message; the JSON error carries them all. */
const SHOWN = 5;

export class ArchiveDamagedError extends FerryError {
  readonly problems: ArchiveProblem[];

  constructor(archive: string, problems: readonly ArchiveProblem[], what = 'is damaged') {
    const shown = problems.slice(0, SHOWN).map((p) => `[${p.kind}] ${p.message}`);
    const more = problems.length > SHOWN ? [`… and ${problems.length - SHOWN} more`] : [];
    super('ARCHIVE_DAMAGED', `${archive} ${what}:\n  ${[...shown, ...more].join('\n  ')}`, ExitCode.integrity, {
      suggestions: [`ferry verify ${archive} lists every problem; copy the damaged volumes again from the original media`],
    });
    this.name = 'ArchiveDamagedError';
    this.problems = [...problems];
  }

  /** The kind of the first problem (the one that stopped the command). */
  get kind(): string {
    return this.problems[0]?.kind ?? 'VOLUMES';
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), kind: this.kind, problems: this.problems };
  }
}
