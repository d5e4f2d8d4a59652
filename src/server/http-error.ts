/**
 * An answer other than 200, as the wire contract's ApiError (`{error, field}`). Routes throw it;
 * the server's error handler turns it (and a UsageError from the shared parsers) into the reply.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The query parameter at fault, when one is. */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** A bad query parameter: 400 naming it. */
export function badParam(field: string, message: string): HttpError {
  return new HttpError(400, message, field);
}
