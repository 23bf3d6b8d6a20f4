import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, startMosquitto, waitFor, type Mosquitto } from '@ep/testkit';
import { connectAsync, type MqttClient } from 'mqtt';
import { runCli } from '../src/cli.js';

const repoConf = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../../charts/ep/files/mosquitto/mosquitto.conf',
);

/** Runs the CLI in-process and returns its exit code and output lines. */
async function ep(env: Record<string, string>, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { env, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('the repository’s Mosquitto configuration with per-stand users (dynamic-security)', () => {
  let dir: string;
  let broker: Mosquitto;
  let wsPort: number;
  let admin: Record<string, string>;
  const clients: MqttClient[] = [];
  const passwords: Record<string, string> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ep-dynsec-'));
    wsPort = await freePort();
    // The file as the chart mounts it; only ports and paths are moved into the test's directory.
    const lines = (await readFile(repoConf, 'utf8'))
      .split('\n')
      .map((l) =>
        l
          .replace(/^listener 1883$/, 'listener {port} 127.0.0.1')
          .replace(/^listener 9001$/, `listener ${wsPort} 127.0.0.1`)
          .replace(/^persistence_location .*/, `persistence_location ${dir}/`)
          // Debian's mosquitto package keeps the plugin here (the file names the image's path).
          .replace(/^plugin .*/, 'plugin /usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so')
          .replace(/^plugin_opt_config_file .*/, `plugin_opt_config_file ${dir}/dynamic-security.json`),
      )
      // Started as root, Mosquitto would switch to user mosquitto, who cannot read the test's
      // private directory; started as anyone else, this line does nothing.
      .concat('user root');
    await promisify(execFile)('mosquitto_ctrl', [
      'dynsec',
      'init',
      `${dir}/dynamic-security.json`,
      'admin',
      'admin-secret',
    ]);
    broker = await startMosquitto(lines, { dir });
    admin = { MQTT_URL: broker.url, MQTT_USERNAME: 'admin', MQTT_PASSWORD: 'admin-secret' };
  });

  afterAll(async () => {
    for (const c of clients) await c.endAsync(true);
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** MQTT 5: mqtt.js rejects a subscription the broker refuses (SUBACK reason code ≥ 0x80). */
  async function subscribe(c: MqttClient, topic: string): Promise<'granted' | 'refused'> {
    try {
      const [granted] = await c.subscribeAsync(topic, { qos: 1 });
      return granted && granted.qos < 128 ? 'granted' : 'refused';
    } catch (err) {
      if (/Not authorized/i.test((err as Error).message)) return 'refused';
      throw err;
    }
  }

  async function client(username: string, password: string, url = broker.url): Promise<MqttClient> {
    const c = await connectAsync(url, {
      username,
      password,
      protocolVersion: 5,
      reconnectPeriod: 0,
      clientId: `${username}-${clients.length}`,
    });
    clients.push(c);
    return c;
  }

  it('sets up roles and the handler user, then one user per stand, each password printed once', async () => {
    const setup = await ep(admin, 'teststands', 'setup-broker');
    expect({ err: setup.err, log: setup.err.length ? broker.output() : '' }).toEqual({ err: [], log: '' });
    expect(setup.code).toBe(0);
    passwords['teststand-handler'] = setup.out.at(-1)!;
    // Again: nothing breaks, the password is not reissued.
    const again = await ep(admin, 'teststands', 'setup-broker');
    expect(again).toMatchObject({ code: 0 });
    expect(again.out.at(-1)).toMatch(/already exists/);
    for (const stand of ['standA', 'standB']) {
      const added = await ep(admin, 'teststands', 'add', stand);
      expect(added.code).toBe(0);
      passwords[stand] = added.out.at(-1)!;
      expect(passwords[stand]).toMatch(/^[A-Za-z0-9_-]{32}$/);
    }
    expect((await ep(admin, 'teststands', 'add', 'standA')).code).toBe(1);
    expect((await ep(admin, 'teststands', 'add', 'a/b')).code).toBe(2);
  });

  it('refuses anonymous clients and wrong passwords', async () => {
    await expect(connectAsync(broker.url, { reconnectPeriod: 0 })).rejects.toThrow(
      /Not authorized|Bad user/i,
    );
    await expect(
      connectAsync(broker.url, { username: 'standA', password: 'nope', reconnectPeriod: 0 }),
    ).rejects.toThrow();
  });

  it('keeps a stand to its own topics; the handler reads every Inbound and writes every Outbound', async () => {
    const handler = await client('teststand-handler', passwords['teststand-handler']!);
    const got: string[] = [];
    handler.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
    expect(await subscribe(handler, '$share/g/+/+/Inbound')).toBe('granted');
    expect(await subscribe(handler, '+/inbound')).toBe('granted');

    const a = await client('standA', passwords['standA']!);
    const aGot: string[] = [];
    a.on('message', (topic) => aGot.push(topic));
    // Its own Outbound: granted. Another stand's Outbound, its own Inbound, or everything: refused.
    expect(await subscribe(a, 'standA/m/Outbound')).toBe('granted');
    expect(await subscribe(a, 'standB/m/Outbound')).toBe('refused');
    expect(await subscribe(a, 'standA/m/Inbound')).toBe('refused');
    expect(await subscribe(a, '#')).toBe('refused');

    await a.publishAsync('standA/m/Inbound', 'mine', { qos: 1 });
    // Publishing as another stand is refused by the broker (MQTT 5 PUBACK: not authorized).
    await expect(a.publishAsync('standB/m/Inbound', 'forged', { qos: 1 })).rejects.toThrow();
    await expect(a.publishAsync('standA/m/Outbound', 'to myself', { qos: 1 })).rejects.toThrow();
    await a.publishAsync('standA/inbound', 'short form', { qos: 1 });

    // The handler commands both stands; each receives only its own.
    await handler.publishAsync('standA/m/Outbound', 'start', { qos: 1 });
    await handler.publishAsync('standB/m/Outbound', 'start', { qos: 1 });
    await waitFor(() => got.length === 2 && aGot.length === 1, { what: 'deliveries' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(got.sort()).toEqual(['standA/inbound short form', 'standA/m/Inbound mine']);
    expect(aGot).toEqual(['standA/m/Outbound']);
  });

  it('takes a stand over websockets too', async () => {
    const ws = await client('standB', passwords['standB']!, `ws://127.0.0.1:${wsPort}`);
    expect(ws.connected).toBe(true);
  });
});
