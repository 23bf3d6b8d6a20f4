import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultDecision } from './faults.js';

/** An answer before faults are applied. `served` records it, from the body as finally sent. */
export interface Answer {
  status: number;
  body: unknown;
  /** Outcome counted in the record's request log (default `ok` for 200, `http<status>` otherwise). */
  outcome?: string;
  served?: (body: unknown) => void;
}

export interface FaultedReply {
  decision: FaultDecision;
  /** The vendor's own 500 body. */
  errorBody: unknown;
  /** Takes one required field out of the body; false when there was nothing to take. */
  dropField: (body: unknown) => boolean;
  count: (outcome: string) => void;
}

export function readBody(req: IncomingMessage, limit = 1_000_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) reject(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Waits `ms`, or less when the response closes first (a held answer must not outlive its client). */
function sleepUnlessClosed(res: ServerResponse, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.once('close', done);
  });
}

/** Sends an answer through the gateway's fault decision (latency, 500, time-out, malformed, missing field). */
export async function replyWithFaults(
  res: ServerResponse,
  f: FaultedReply,
  build: () => Answer,
): Promise<void> {
  // 'close' before the answer is written: the client went away (gave up, or was killed).
  let gone = false;
  res.once('close', () => (gone = true));
  if (f.decision.latencyMs > 0) await sleepUnlessClosed(res, f.decision.latencyMs);
  if (gone) {
    // Nobody was shown this answer, so it is not recorded as served.
    f.count('abandoned');
    return;
  }
  const kind = f.decision.kind;
  if (kind === 'timeout') {
    // Never answered: the socket stays open until the client gives up or the server closes.
    f.count('fault:timeout');
    return;
  }
  if (kind === 'http500') {
    f.count('fault:http500');
    sendJson(res, 500, f.errorBody);
    return;
  }
  const answer = build();
  if (answer.status !== 200) {
    f.count(answer.outcome ?? `http${answer.status}`);
    sendJson(res, answer.status, answer.body);
    return;
  }
  if (kind === 'malformed') {
    f.count('fault:malformed');
    const text = JSON.stringify(answer.body);
    const cut = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(cut),
    });
    res.end(cut);
    return;
  }
  let outcome = answer.outcome ?? 'ok';
  if (kind === 'missingField' && f.dropField(answer.body)) outcome = 'fault:missingField';
  answer.served?.(answer.body);
  f.count(outcome);
  sendJson(res, 200, answer.body);
}

export interface RunningServer {
  server: Server;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  close(): Promise<void>;
}

export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  host: string,
  port: number,
): Promise<RunningServer> {
  const server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      // A bug in the simulator, not a simulated fault: say so loudly in the answer.
      if (!res.headersSent)
        sendJson(res, 500, { simulatorError: err instanceof Error ? err.message : String(err) });
      else res.destroy();
    });
  });
  // Held (timed-out) requests must not keep a test's close() waiting.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  let closed: Promise<void> | undefined;
  return {
    server,
    origin: `http://${shownHost}:${address.port}`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
