import { createHash } from 'node:crypto';
import { SetpointWriteRequestV1, natsNames, type SetpointWriteAnswer } from '@ep/contracts';
import type { Logger } from '@ep/logger';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import type { Kysely } from 'kysely';
import { codeOf } from '../domain/secure.js';
import { listGateways, updateStatus, type GatewayConfig } from '../db/gateways.repo.js';
import type { GatewayDatabase } from '../db/schema.js';
import { ConfigCache, pollPrefect, pollSecure, type PollContext } from '../use-cases/poll-gateway.js';
import type { Leases } from './leases.js';
import type { PollerMetrics } from './metrics.js';
import { createPrefectClient, type PrefectClient } from './prefect-client.js';
import { readGatewaySecret, type GatewaySecret } from './secrets.js';
import { createSecureClient, type SecureClient } from './secure-client.js';
import { errorKind, GatewayError } from './vendor-http.js';

export interface SchedulerOptions {
  db: Kysely<GatewayDatabase>;
  nc: NatsConnection;
  prefix: string;
  leases: Leases;
  context: Omit<PollContext, 'logger' | 'now'>;
  metrics: PollerMetrics;
  logger: Logger;
  replicaId: string;
  secretsDir: string;
  tickMs: number;
  /** Leases are renewed (and free gateways taken) this often: a third of the lease. */
  renewMs: number;
  timeoutMs: number;
  maxRelogins: number;
  concurrency: number;
  now?: () => number;
}

interface Owned {
  gw: GatewayConfig;
  nextDue: number;
  running?: Promise<void>;
  subscription?: Subscription;
}

/** Polls are spread by gateway name over this first fraction of each slot. */
export const SPREAD = 0.5;
/**
 * A poll calls its gateway no later than this fraction into its slot. The rest (a quarter of the
 * interval: 75 s at 300 s) is the slack for the way from that check to the gateway reading the
 * request, so a poll lands in its own slot and never in the next, where the next one is due; the
 * part between SPREAD and this absorbs polls queued behind others.
 */
export const LATEST_START = 0.75;

/** Offset of a gateway's polls inside each interval, stable across replicas. */
export function jitterMs(name: string, intervalMs: number): number {
  const h = createHash('sha1').update(name).digest().readUInt32BE(0);
  return h % Math.max(1, Math.floor(intervalMs * SPREAD));
}

/**
 * The instant a gateway is next due: once per interval-aligned slot (multiples of the interval
 * since the epoch), at its jitter offset; never twice in the slot of its last poll, whichever
 * replica made it.
 */
export function nextDue(
  name: string,
  intervalMs: number,
  now: number,
  lastPollMs: number | undefined,
): number {
  const offset = jitterMs(name, intervalMs);
  const slot = Math.floor(now / intervalMs) * intervalMs;
  if (lastPollMs !== undefined && lastPollMs >= slot) return slot + intervalMs + offset;
  // Not polled in this slot yet: at its offset, or at once when the offset has passed.
  return slot + offset;
}

/**
 * Polls the gateways this replica holds a lease for, each once per interval at its offset, at
 * most `concurrency` at once; one gateway's failure is recorded on its status and never touches
 * another's poll. Also answers set-point writes for the gateways it holds.
 */
export class Scheduler {
  private readonly owned = new Map<string, Owned>();
  private readonly configCache = new ConfigCache();
  private readonly prefectClients = new Map<string, { key: string; client: PrefectClient }>();
  private readonly secureClients = new Map<string, { key: string; client: SecureClient }>();
  /** Target temperatures written through EP, per gateway and `<zid>/<drefid>`. */
  private readonly written = new Map<string, Map<string, number>>();
  private timers: NodeJS.Timeout[] = [];
  private running = 0;
  private stopped = false;
  private renewing: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly o: SchedulerOptions) {
    this.now = o.now ?? Date.now;
  }

  async start(): Promise<void> {
    await this.renew();
    this.timers.push(
      setInterval(() => {
        this.renewing ??= this.renew().finally(() => (this.renewing = undefined));
      }, this.o.renewMs),
      setInterval(() => this.tick(), this.o.tickMs),
    );
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.renewing;
    await Promise.allSettled([...this.owned.values()].map((o) => o.running));
    for (const o of this.owned.values()) o.subscription?.unsubscribe();
    this.owned.clear();
    await this.o.leases.releaseAll();
  }

  /** Gateways held now, for /status. */
  heldGateways(): string[] {
    return [...this.owned.keys()].sort();
  }

  private async renew(): Promise<void> {
    if (this.stopped) return;
    let byName: Map<string, GatewayConfig> | undefined;
    try {
      const gateways = await listGateways(this.o.db);
      byName = new Map(gateways.map((g) => [g.name, g]));
      const replicas = await this.o.leases.replicas();
      const share = Math.ceil(gateways.length / replicas);
      // Start from a different gateway per replica, so replicas do not all race for the same ones.
      const names = gateways.map((g) => g.name);
      const start = names.length > 0 ? hashOf(this.o.replicaId) % names.length : 0;
      const wanted = [...names.slice(start), ...names.slice(0, start)];
      // A replica over its share (others joined) gives the surplus up for them to take: no new
      // poll of it starts, one in flight finishes (its last_poll_at is written), then the lease
      // goes, so the next owner sees this slot's poll and waits for the next slot.
      const surplus = [...this.owned.keys()].slice(share);
      for (const name of surplus) {
        const o = this.owned.get(name)!;
        this.drop(name);
        await o.running;
      }
      await this.o.leases.renew(
        wanted.filter((n) => !surplus.includes(n)),
        share,
      );
    } catch (err) {
      this.o.logger.warn({ err }, 'lease renewal failed; retrying');
    }
    // Polling follows the leases actually held, whatever part of the round went through: a lease
    // taken by a round that failed later is polled all the same, and one that went is dropped.
    if (byName) await this.reconcile(byName);
  }

  private async reconcile(byName: ReadonlyMap<string, GatewayConfig>): Promise<void> {
    const held = this.o.leases.held();
    for (const name of [...this.owned.keys()]) if (!held.has(name)) this.drop(name);
    for (const name of held) {
      const gw = byName.get(name);
      if (!gw || this.owned.has(name) || this.stopped) continue;
      try {
        this.owned.set(name, { gw, nextDue: await this.firstDue(gw), subscription: this.subscribe(gw) });
      } catch (err) {
        // Taken up by the next round: until then the lease is held and not polled, never polled blind.
        this.o.logger.warn({ err, gateway: name }, 'could not read the last poll of a gateway taken');
      }
    }
    for (const o of this.owned.values()) o.gw = byName.get(o.gw.name) ?? o.gw;
    this.o.metrics.leases.set(this.owned.size);
  }

  /** Stops polling and answering writes for a gateway whose lease went. */
  private drop(name: string): void {
    const o = this.owned.get(name);
    o?.subscription?.unsubscribe();
    this.owned.delete(name);
  }

  private async firstDue(gw: GatewayConfig): Promise<number> {
    const row = await this.o.db
      .selectFrom('gateway_status')
      .select('last_poll_at')
      .where('gateway_id', '=', gw.id)
      .executeTakeFirst();
    return nextDue(gw.name, gw.intervalSeconds * 1000, this.now(), row?.last_poll_at?.getTime());
  }

  private tick(): void {
    if (this.stopped) return;
    const now = this.now();
    for (const o of this.owned.values()) {
      if (o.running || now < o.nextDue || this.running >= this.o.concurrency) continue;
      const intervalMs = o.gw.intervalSeconds * 1000;
      // Too late in its slot (a busy process, a long previous poll): a poll now could reach the
      // gateway in the next slot, where the next poll is due too. Skip to the next slot.
      const slot = Math.floor(o.nextDue / intervalMs) * intervalMs;
      const latest = slot + intervalMs * LATEST_START;
      o.nextDue = nextDue(o.gw.name, intervalMs, now, now);
      if (now >= latest) continue;
      this.running += 1;
      o.running = this.leasedPoll(o, latest).finally(() => {
        this.running -= 1;
        o.running = undefined;
      });
    }
  }

  /**
   * A poll made only under a lease renewed for it: the revision-checked renewal right before it
   * means no other replica holds the gateway now, nor can take it for a whole lease period. The
   * gateway is called while that lease is still running and the slot not too far gone; else the
   * poll is called off (its last_poll_at is written, so the next owner waits for the next slot).
   */
  private async leasedPoll(o: Owned, latest: number): Promise<void> {
    const name = o.gw.name;
    if (!(await this.o.leases.confirm(name))) {
      this.drop(name);
      this.o.metrics.leases.set(this.owned.size);
      return;
    }
    await this.pollOnce(o.gw, () => this.o.leases.remainingMs(name) > 0 && this.now() < latest);
  }

  /**
   * One poll of one gateway, its outcome on the gateway's status and in the metrics. `mayCall`,
   * asked after last_poll_at is written and right before the gateway is called, can call it off.
   */
  async pollOnce(gw: GatewayConfig, mayCall: () => boolean = () => true): Promise<void> {
    const started = this.now();
    const log = this.o.logger.child({ gateway: gw.name, vendor: gw.vendor });
    const timer = this.o.metrics.duration.startTimer({ vendor: gw.vendor });
    try {
      await updateStatus(this.o.db, gw.id, { owner: this.o.replicaId, lastPollAt: new Date(started) });
      const ctx: PollContext = { ...this.o.context, logger: log, now: this.now };
      const secret = await readGatewaySecret(this.o.secretsDir, gw.name, gw.vendor);
      if (!mayCall()) {
        this.o.metrics.polls.inc({ vendor: gw.vendor, outcome: 'called_off' });
        log.warn('poll called off: its lease or its slot ran out before the gateway was called');
        return;
      }
      const outcome =
        secret.vendor === 'prefect'
          ? await pollPrefect(ctx, gw, this.prefect(gw, secret), this.configCache)
          : await pollSecure(ctx, gw, this.secure(gw, secret), this.written.get(gw.name));
      const done = this.now();
      await updateStatus(this.o.db, gw.id, {
        lastSuccessAt: new Date(done),
        ...(outcome.newestMs !== undefined ? { lastDataAt: new Date(outcome.newestMs) } : {}),
        error: null,
        backfill: null,
      });
      this.o.metrics.polls.inc({ vendor: gw.vendor, outcome: 'ok' });
      this.o.metrics.samples.inc({ vendor: gw.vendor }, outcome.samples);
      if (outcome.newestMs !== undefined)
        this.o.metrics.lag.set({ gateway: gw.name }, (done - outcome.newestMs) / 1000);
      log.debug(
        { samples: outcome.samples, batches: outcome.batches, events: outcome.events },
        'gateway polled',
      );
    } catch (err) {
      const kind = errorKind(err);
      const message = err instanceof Error ? err.message : String(err);
      this.o.metrics.polls.inc({ vendor: gw.vendor, outcome: kind });
      if (!(err instanceof GatewayError)) log.error({ err }, 'gateway poll failed');
      else log.warn({ kind, reason: message }, 'gateway poll failed');
      if (kind !== 'no_secret') {
        this.prefectClients.delete(gw.name);
        if (kind === 'auth_refused') this.secureClients.delete(gw.name);
      }
      await updateStatus(this.o.db, gw.id, { error: { kind, message, at: new Date(this.now()) } }).catch(
        (e) => log.error({ err: e }, 'could not record the poll failure'),
      );
    } finally {
      timer();
    }
  }

  private prefect(gw: GatewayConfig, secret: Extract<GatewaySecret, { vendor: 'prefect' }>): PrefectClient {
    const key = fingerprint(gw.baseUrl, gw.site, secret.token);
    const cached = this.prefectClients.get(gw.name);
    if (cached?.key === key) return cached.client;
    const client = createPrefectClient({
      baseUrl: gw.baseUrl,
      site: gw.site,
      token: secret.token,
      timeoutMs: this.o.timeoutMs,
    });
    this.prefectClients.set(gw.name, { key, client });
    return client;
  }

  private secure(gw: GatewayConfig, secret: Extract<GatewaySecret, { vendor: 'secure' }>): SecureClient {
    const key = fingerprint(gw.baseUrl, secret.email, secret.password);
    const cached = this.secureClients.get(gw.name);
    if (cached?.key === key) return cached.client;
    const client = createSecureClient({
      baseUrl: gw.baseUrl,
      email: secret.email,
      password: secret.password,
      timeoutMs: this.o.timeoutMs,
      maxRelogins: this.o.maxRelogins,
    });
    this.secureClients.set(gw.name, { key, client });
    return client;
  }

  /** Answers set-point writes for a gateway while this replica holds it. */
  private subscribe(gw: GatewayConfig): Subscription {
    const subject = natsNames(this.o.prefix).subjects.gatewayControl(gw.name);
    return this.o.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        void this.write(gw, msg.data).then((answer) => {
          this.o.metrics.writes.inc({ outcome: answer.outcome });
          msg.respond(new TextEncoder().encode(JSON.stringify(answer)));
        });
      },
    });
  }

  private async write(gw: GatewayConfig, data: Uint8Array): Promise<SetpointWriteAnswer> {
    const log = this.o.logger.child({ gateway: gw.name });
    let request;
    try {
      request = SetpointWriteRequestV1.parse(JSON.parse(new TextDecoder().decode(data)));
    } catch {
      return { v: 1, outcome: 'refused', detail: 'not a set-point write request' };
    }
    if (gw.vendor !== 'secure')
      return { v: 1, outcome: 'refused', detail: `${gw.vendor} gateways take no writes` };
    const code = codeOf(request.point.parameter);
    const zid = Number(request.point.node);
    const drefid = Number(request.point.device);
    if (!code || !Number.isInteger(zid) || !Number.isInteger(drefid)) {
      return {
        v: 1,
        outcome: 'refused',
        detail: `${request.point.node}.${request.point.device}.${request.point.parameter} is not a Secure data point`,
      };
    }
    try {
      const secret = await readGatewaySecret(this.o.secretsDir, gw.name, gw.vendor);
      if (secret.vendor !== 'secure') throw new GatewayError('no_secret', 'not a Secure secret');
      const client = this.secure(gw, secret);
      const session = await client.session();
      const device = session.devices.find((d) => d.zid === zid && d.drefid === drefid);
      if (!device)
        return { v: 1, outcome: 'refused', detail: `the gateway has no device ${drefid} in zone ${zid}` };
      await client.updateDeviceData({ gmacid: device.gmacid, drefid, code, value: String(request.value) });
      let written = this.written.get(gw.name);
      if (!written) this.written.set(gw.name, (written = new Map()));
      written.set(`${zid}/${drefid}`, request.value);
      log.info({ point: request.point, value: request.value, by: request.requestedBy }, 'set point written');
      return { v: 1, outcome: 'accepted' };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log.warn({ point: request.point, reason: message }, 'set-point write refused');
      return { v: 1, outcome: 'refused', detail: message };
    }
  }
}

function hashOf(text: string): number {
  return createHash('sha1').update(text).digest().readUInt32BE(0);
}

function fingerprint(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}
