import { HttpError } from '@ep/http/errors';

// The 4xx answers domain code gives, as libs/http's one error type: the error handler sends the
// message as it is, so it names the parameter and what is allowed.

/** 400 for one bad query/path parameter: `parameter: reason`. */
export const badParameter = (parameter: string, reason: string) =>
  new HttpError(400, `${parameter}: ${reason}`);

export const notFound = (what: string) => new HttpError(404, `${what} not found`);
