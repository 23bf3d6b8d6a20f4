/**
 * A request the API refuses, with the status and a message naming the parameter and what is
 * allowed. Domain code throws it; the HTTP layer turns it into the response as it is.
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: 400 | 403 | 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** 400 for one bad query/path parameter: `parameter: reason`. */
export const badParameter = (parameter: string, reason: string) =>
  new ApiError(400, `${parameter}: ${reason}`);

export const notFound = (what: string) => new ApiError(404, `${what} not found`);
