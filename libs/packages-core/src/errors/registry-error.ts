/**
 * The one error type services throw. Each code is registered once with its HTTP status;
 * each protocol's exception filter renders it in that protocol's body (plain text, npm
 * `{"error"}`, OCI `{"errors":[…]}`) through a switch that covers every code.
 */
export enum RegistryErrorCode {
  InvalidArgument = 'INVALID_ARGUMENT',
  InvalidArtifact = 'INVALID_ARTIFACT',
  Unauthorized = 'UNAUTHORIZED',
  Forbidden = 'FORBIDDEN',
  NotFound = 'NOT_FOUND',
  Conflict = 'CONFLICT',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  /** An owner limit or quota would be passed (docs/protocols/core.md §8); OCI renders it as DENIED. */
  QuotaExceeded = 'QUOTA_EXCEEDED',
  RangeNotSatisfiable = 'RANGE_NOT_SATISFIABLE',
  TooManyRequests = 'TOO_MANY_REQUESTS',
  Unavailable = 'UNAVAILABLE',
  InsufficientStorage = 'INSUFFICIENT_STORAGE',
  Internal = 'INTERNAL',
}

/** HTTP status of each code; a new code without an entry does not compile. */
export const REGISTRY_ERROR_STATUS: Record<RegistryErrorCode, number> = {
  [RegistryErrorCode.InvalidArgument]: 400,
  [RegistryErrorCode.InvalidArtifact]: 400,
  [RegistryErrorCode.Unauthorized]: 401,
  [RegistryErrorCode.Forbidden]: 403,
  [RegistryErrorCode.NotFound]: 404,
  [RegistryErrorCode.Conflict]: 409,
  [RegistryErrorCode.PayloadTooLarge]: 413,
  [RegistryErrorCode.QuotaExceeded]: 413,
  [RegistryErrorCode.RangeNotSatisfiable]: 416,
  [RegistryErrorCode.TooManyRequests]: 429,
  [RegistryErrorCode.Unavailable]: 503,
  [RegistryErrorCode.InsufficientStorage]: 507,
  [RegistryErrorCode.Internal]: 500,
};

export class RegistryError extends Error {
  constructor(
    readonly code: RegistryErrorCode,
    message: string,
    /** Extra fields a protocol may render (e.g. OCI `detail`). Never secrets. */
    readonly detail?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'RegistryError';
  }

  get status(): number {
    return REGISTRY_ERROR_STATUS[this.code];
  }

  static notFound(message: string): RegistryError {
    return new RegistryError(RegistryErrorCode.NotFound, message);
  }

  static conflict(message: string): RegistryError {
    return new RegistryError(RegistryErrorCode.Conflict, message);
  }

  static invalid(message: string): RegistryError {
    return new RegistryError(RegistryErrorCode.InvalidArgument, message);
  }
}

/** Thrown by parsers (`<type>.metadata.ts`): the reason tells the user what to fix. */
export class InvalidArtifactError extends RegistryError {
  constructor(reason: string) {
    super(RegistryErrorCode.InvalidArtifact, reason);
    this.name = 'InvalidArtifactError';
  }
}

/**
 * An entry no client may be handed (`..`, an absolute path, a link…): a refusal of the
 * upload, which no format may tolerate the way PyPI tolerates an sdist it cannot parse.
 */
export class UnsafeArchiveEntryError extends InvalidArtifactError {
  constructor(reason: string) {
    super(reason);
    this.name = 'UnsafeArchiveEntryError';
  }
}

/** An upload went over the configured size limit for its format. */
export class PayloadTooLargeError extends RegistryError {
  constructor(readonly limit: number) {
    super(RegistryErrorCode.PayloadTooLarge, `upload exceeds the size limit of ${limit} bytes`);
    this.name = 'PayloadTooLargeError';
  }
}

/** An upload would pass an owner limit or a quota rule; the message names which. */
export class QuotaExceededError extends RegistryError {
  constructor(message: string) {
    super(RegistryErrorCode.QuotaExceeded, message);
    this.name = 'QuotaExceededError';
  }
}
