/**
 * Typed errors with stable codes. Every error ferry raises on purpose is a FerryError; the CLI maps
 * its `exitCode` to the process exit status (see docs/exit-codes.md, which must stay in step with
 * ExitCode below).
 */

export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  invalidInput: 3,
  auth: 4,
  notFound: 5,
  integrity: 6,
  partial: 7,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** One problem found in user input, naming where it is. */
export interface Problem {
  /** File (or image, or database) the problem is in. */
  file: string;
  /** Dotted path of the field, when there is one (e.g. `spec.replaces`). */
  field?: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}${p.field ? ` (${p.field})` : ''}: ${p.message}`;
}

export class FerryError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly suggestions: string[];

  constructor(code: string, message: string, exitCode: ExitCode = ExitCode.failure, options?: { cause?: unknown; suggestions?: string[] }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FerryError';
    this.code = code;
    this.exitCode = exitCode;
    this.suggestions = options?.suggestions ?? [];
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, exitCode: this.exitCode, suggestions: this.suggestions };
  }
}

/** Input is invalid; carries every problem found, not just the first. */
export class InvalidInputError extends FerryError {
  readonly problems: Problem[];

  constructor(problems: Problem[], summary?: string) {
    const head = summary ?? `${problems.length} problem${problems.length === 1 ? '' : 's'} in the input; nothing was written`;
    super('INVALID_INPUT', [head, ...problems.map((p) => `  ${formatProblem(p)}`)].join('\n'), ExitCode.invalidInput);
    this.name = 'InvalidInputError';
    this.problems = problems;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), problems: this.problems };
  }
}

export class NotFoundError extends FerryError {
  constructor(message: string) {
    super('NOT_FOUND', message, ExitCode.notFound);
    this.name = 'NotFoundError';
  }
}

export class UsageError extends FerryError {
  constructor(message: string, suggestions?: string[]) {
    super('USAGE', message, ExitCode.usage, { suggestions });
    this.name = 'UsageError';
  }
}

/** A database ferry cannot read (not sqlite, unknown schema version, corrupt). */
export class DatabaseError extends FerryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DATABASE', message, ExitCode.invalidInput, options);
    this.name = 'DatabaseError';
  }
}

/** A FerryError as plain data, to cross a worker-thread boundary. */
export interface TransferredError {
  code: string;
  message: string;
  exitCode: ExitCode;
  suggestions: string[];
  problems?: Problem[];
}

export function errorToTransfer(err: unknown): TransferredError {
  if (err instanceof InvalidInputError) return { code: err.code, message: err.message, exitCode: err.exitCode, suggestions: err.suggestions, problems: err.problems };
  if (err instanceof FerryError) return { code: err.code, message: err.message, exitCode: err.exitCode, suggestions: err.suggestions };
  const e = err as { message?: string; code?: string };
  return { code: 'INTERNAL', message: e?.message ?? String(err), exitCode: ExitCode.failure, suggestions: [] };
}

export function errorFromTransfer(t: TransferredError): FerryError {
  if (t.problems !== undefined) return new InvalidInputError(t.problems);
  return new FerryError(t.code, t.message, t.exitCode, { suggestions: t.suggestions });
}
