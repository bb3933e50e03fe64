import { Command, Flags, Interfaces } from '@oclif/core';
import { ExitCode, FerryError } from '../errors.js';
import { rewriteBooleanAssignments } from './registry-flags.js';

/** What a command's library call produced: the typed result, warnings for stderr, and the exit code. */
export interface Outcome<T> {
  result: T;
  warnings?: string[];
  /** Non-zero when the command did its job only in part (ExitCode.partial) or found a problem it reports in its result (e.g. ExitCode.integrity). */
  exitCode?: ExitCode;
}

/** The JSON envelope every command prints with --json. */
export interface JsonEnvelope<T> {
  status: 'ok' | 'partial' | 'error';
  exitCode: number;
  warnings: string[];
  result?: T;
  error?: Record<string, unknown>;
}

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof FerryCommand)['baseFlags'] & T['flags']>;

/**
 * The one contract all ferry commands share: --json through one envelope, --log-level, Ctrl-C as an
 * AbortSignal, and every error mapped to a stable code and exit code. Subclasses implement
 * `execute()` (parse flags, call one library function) and `display()` (human output).
 */
export abstract class FerryCommand<T> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    'log-level': Flags.option({
      options: ['error', 'warn', 'info', 'debug'] as const,
      default: 'info' as const,
      description: 'How much to report on stderr.',
      helpGroup: 'GLOBAL',
    })(),
  };

  private readonly abortController = new AbortController();
  private onSigint = (): void => this.abortController.abort(new FerryError('INTERRUPTED', 'interrupted', ExitCode.interrupted));
  private logLevel: 'error' | 'warn' | 'info' | 'debug' = 'info';

  /** Aborted when the user presses Ctrl-C; pass it down to long work. */
  protected get signal(): AbortSignal {
    return this.abortController.signal;
  }

  protected abstract execute(): Promise<Outcome<T>>;
  protected abstract display(result: T): void;

  protected override async init(): Promise<void> {
    this.argv = rewriteBooleanAssignments(this.argv);
    await super.init();
    process.once('SIGINT', this.onSigint);
    const level = this.argv.indexOf('--log-level');
    const value = level >= 0 ? this.argv[level + 1] : this.argv.find((a) => a.startsWith('--log-level='))?.split('=')[1];
    if (value === 'error' || value === 'warn' || value === 'info' || value === 'debug') this.logLevel = value;
  }

  protected override async finally(err: Error | undefined): Promise<void> {
    process.removeListener('SIGINT', this.onSigint);
    await super.finally(err);
  }

  /** A progress or status line on stderr (never on stdout, which belongs to results). */
  protected info(message: string): void {
    if (this.logLevel === 'info' || this.logLevel === 'debug') this.logToStderr(message);
  }

  /** Progress is shown on stderr unless --json or a quieter --log-level was asked for. */
  protected showsProgress(): boolean {
    return !this.jsonEnabled() && (this.logLevel === 'info' || this.logLevel === 'debug');
  }

  async run(): Promise<JsonEnvelope<T>> {
    const outcome = await this.execute();
    const warnings = outcome.warnings ?? [];
    const exitCode = outcome.exitCode ?? ExitCode.ok;
    if (!this.jsonEnabled()) {
      if (this.logLevel !== 'error') for (const w of warnings) this.logToStderr(`warning: ${w}`);
      this.display(outcome.result);
    }
    if (exitCode !== ExitCode.ok) process.exitCode = exitCode;
    return { status: exitCode === ExitCode.ok ? 'ok' : exitCode === ExitCode.partial ? 'partial' : 'error', exitCode, warnings, result: outcome.result };
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    const mapped = toFerryError(err);
    if (mapped === undefined) throw err; // --help, --version and oclif's own exits
    process.exitCode = mapped.exitCode;
    if (this.jsonEnabled()) {
      const envelope: JsonEnvelope<T> = { status: 'error', exitCode: mapped.exitCode, warnings: [], error: mapped.toJSON() };
      this.logJson(envelope);
      return;
    }
    this.logToStderr(`ferry: error [${mapped.code}]: ${mapped.message}`);
    for (const s of mapped.suggestions) this.logToStderr(`  hint: ${s}`);
    if (mapped.code === 'INTERNAL' && this.logLevel === 'debug' && err.stack) this.logToStderr(err.stack);
  }
}

/** Maps anything thrown to a FerryError; undefined for oclif's deliberate exits (help, version). */
export function toFerryError(err: unknown): FerryError | undefined {
  if (err instanceof FerryError) return err;
  const e = err as { oclif?: { exit?: number }; code?: string; message?: string; name?: string };
  if (e?.code === 'EEXIT') return undefined;
  if (e?.oclif !== undefined || e?.name === 'CLIError' || /Parse|Flag|Arg/.test(e?.name ?? '')) {
    // oclif parse errors: unknown flag, missing required flag, bad option value.
    return new FerryError('USAGE', e?.message ?? String(err), ExitCode.usage);
  }
  if (e?.code === 'ENOENT') return new FerryError('NOT_FOUND', e.message ?? String(err), ExitCode.notFound);
  if (e?.code === 'EACCES' || e?.code === 'EPERM' || e?.code === 'ENOSPC' || e?.code === 'EROFS') {
    return new FerryError('IO', e.message ?? String(err), ExitCode.failure);
  }
  return new FerryError('INTERNAL', e?.message ?? String(err), ExitCode.failure);
}

