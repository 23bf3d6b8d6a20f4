import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';

/**
 * TypeScript types of an OpenAPI document, as `openapi-typescript` writes them: what a client
 * (e.g. openapi-fetch) is typed with. The query-api test compares the committed types with the
 * ones its running server's document gives, and calls it through them.
 */
export async function clientTypes(document: object): Promise<string> {
  // The input is typed as openapi-typescript's own OpenAPI3 interface; any parsed document is one.
  const ast = await openapiTS(document as Parameters<typeof openapiTS>[0]);
  return COMMENT_HEADER + astToString(ast);
}
