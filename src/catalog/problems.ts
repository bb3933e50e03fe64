import { InvalidInputError, type Problem } from '../errors.js';

/** Collects every problem found in the input so all are reported at once. */
export class ProblemList {
  private readonly items: Problem[] = [];
  private readonly notices: string[] = [];

  /** Something wrong that opm tolerates: loading goes on, and the user is told. */
  warn(file: string, message: string, field?: string): void {
    this.notices.push(`${file}${field === undefined ? '' : ` (${field})`}: ${message}`);
  }

  get warnings(): readonly string[] {
    return this.notices;
  }

  add(file: string, message: string, field?: string): void {
    this.items.push(field === undefined ? { file, message } : { file, field, message });
  }

  get list(): readonly Problem[] {
    return this.items;
  }

  get size(): number {
    return this.items.length;
  }

  /** Throws InvalidInputError with every problem when there is at least one. */
  throwIfAny(summary?: string): void {
    if (this.items.length > 0) throw new InvalidInputError([...this.items], summary);
  }
}
