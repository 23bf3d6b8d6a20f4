import net from 'node:net';

/**
 * A TCP proxy between a client under test and a real server, for failure tests: point the
 * client at `url`, then `cut()` the link (open connections are destroyed, new ones refused)
 * and `restore()` it, or `delay()` every chunk.
 */
export interface FaultProxy {
  host: string;
  port: number;
  /** The target URL rewritten to go through the proxy (same protocol, credentials and path). */
  url: string;
  /** Destroys every open connection and refuses new ones until restore(). */
  cut(): void;
  restore(): void;
  /** Adds `ms` of latency to every chunk in both directions (0 to stop). */
  delay(ms: number): void;
  /** How many client connections are open now. */
  readonly connections: number;
  close(): Promise<void>;
}

export async function startFaultProxy(targetUrl: string): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const targetHost = target.hostname;
  const targetPort = Number(target.port);
  let cut = false;
  let delayMs = 0;
  const sockets = new Set<net.Socket>();

  const relay = (from: net.Socket, to: net.Socket) => {
    from.on('data', (chunk) => {
      if (delayMs === 0) to.write(chunk);
      else {
        from.pause();
        setTimeout(() => {
          if (!to.destroyed) to.write(chunk);
          from.resume();
        }, delayMs);
      }
    });
    from.on('end', () => to.end());
    from.on('error', () => to.destroy());
    from.on('close', () => to.destroy());
  };

  const server = net.createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client);
    sockets.add(upstream);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    relay(client, upstream);
    relay(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const proxied = new URL(targetUrl);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);

  const proxy: FaultProxy = {
    host: '127.0.0.1',
    port,
    url: proxied.toString(),
    cut() {
      cut = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    restore() {
      cut = false;
    },
    delay(ms) {
      delayMs = ms;
    },
    get connections() {
      // Each client connection is paired with one upstream socket.
      return Math.ceil(sockets.size / 2);
    },
    async close() {
      proxy.cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
