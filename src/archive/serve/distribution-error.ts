/**
 * Errors as the OCI distribution spec words them: an HTTP status and a body
 * `{"errors":[{"code","message","detail"}]}` with one of the spec's codes.
 */
export type DistributionErrorCode =
  | 'BLOB_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'PAGINATION_NUMBER_INVALID'
  | 'RANGE_INVALID'
  | 'UNSUPPORTED'
  | 'UNKNOWN';

export class DistributionError extends Error {
  constructor(
    readonly status: number,
    readonly code: DistributionErrorCode,
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = 'DistributionError';
  }

  /** The response body. */
  toJSON(): { errors: Array<{ code: DistributionErrorCode; message: string; detail?: unknown }> } {
    return { errors: [{ code: this.code, message: this.message, ...(this.detail === undefined ? {} : { detail: this.detail }) }] };
  }
}

export const nameUnknown = (name: string): DistributionError => new DistributionError(404, 'NAME_UNKNOWN', `repository name not known to registry`, { name });
export const manifestUnknown = (name: string, reference: string): DistributionError =>
  new DistributionError(404, 'MANIFEST_UNKNOWN', 'manifest unknown', { name, reference });
export const blobUnknown = (name: string, digest: string): DistributionError => new DistributionError(404, 'BLOB_UNKNOWN', 'blob unknown to registry', { name, digest });
