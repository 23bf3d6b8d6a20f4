export interface HttpResourceOptions {
  port: number;
  /** Interface to bind; all of them by default, as a container must. */
  host?: string;
}

interface Listenable {
  listen(options: { port: number; host: string }): Promise<string>;
  close(): PromiseLike<unknown>;
}

/**
 * The server as a lifecycle Resource: start() listens, stop() stops accepting connections and
 * waits for requests in flight (fastify answers 503 to new ones meanwhile).
 */
export function httpResource(
  app: Listenable,
  { port, host = '0.0.0.0' }: HttpResourceOptions,
): { name: string; start(): Promise<void>; stop(): Promise<void> } {
  return {
    name: `http:${port}`,
    async start() {
      await app.listen({ port, host });
    },
    async stop() {
      await app.close();
    },
  };
}
