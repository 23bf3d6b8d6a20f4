import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { connectAsync, type MqttClient } from 'mqtt';

/** The `ep teststands …` commands: broker users and ACLs for test stands (dynamic-security plugin). */
export const TESTSTANDS_USAGE = `  teststands setup-broker [--handler-user <name>]
                                            create the handler's broker role (ep-teststand-handler) and its
                                            handler's user; prints its password once
  teststands add <stand>                    create the stand's broker user (it may publish only to its own
                                            Inbound and read its own Outbound); prints its password once
  teststands remove <stand>                 delete the stand's broker user
  (MQTT_URL, and MQTT_USERNAME / MQTT_PASSWORD of the broker's dynamic-security admin)`;

interface Io {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
}

export const STAND_ROLE = 'ep-stand';
export const HANDLER_ROLE = 'ep-teststand-handler';
const CONTROL = '$CONTROL/dynamic-security/v1';
// A stand name is one MQTT topic level, and a broker user name.
const STAND = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

type Acl = { acltype: string; topic: string; allow: boolean; priority?: number };

// One role per stand naming its own topics: Mosquitto 2.0.11's dynamic-security plugin does not
// substitute %u in ACL topics, so a shared role could not keep stands apart.
const standAcls = (stand: string): Acl[] => [
  { acltype: 'publishClientSend', topic: `${stand}/+/Inbound`, allow: true },
  { acltype: 'publishClientSend', topic: `${stand}/inbound`, allow: true },
  { acltype: 'subscribePattern', topic: `${stand}/+/Outbound`, allow: true },
  { acltype: 'subscribePattern', topic: `${stand}/outbound`, allow: true },
  { acltype: 'publishClientReceive', topic: `${stand}/+/Outbound`, allow: true },
  { acltype: 'publishClientReceive', topic: `${stand}/outbound`, allow: true },
];
export const standRole = (stand: string) => `${STAND_ROLE}-${stand}`;
const handlerAcls: Acl[] = [
  { acltype: 'publishClientSend', topic: '+/+/Outbound', allow: true },
  { acltype: 'publishClientSend', topic: '+/outbound', allow: true },
  { acltype: 'subscribePattern', topic: '+/+/Inbound', allow: true },
  { acltype: 'subscribePattern', topic: '+/inbound', allow: true },
  // Mosquitto 2.0 checks a shared subscription's filter with its $share/<group>/ prefix.
  { acltype: 'subscribePattern', topic: '$share/+/+/+/Inbound', allow: true },
  { acltype: 'subscribePattern', topic: '$share/+/+/inbound', allow: true },
  { acltype: 'publishClientReceive', topic: '+/+/Inbound', allow: true },
  { acltype: 'publishClientReceive', topic: '+/inbound', allow: true },
];

interface DynsecResponse {
  command: string;
  error?: string;
}

/** A session on the broker's dynamic-security control topic. */
export async function dynsecSession(env: Io['env']) {
  const url = env['MQTT_URL'] ?? 'mqtt://127.0.0.1:1883';
  const username = env['MQTT_USERNAME'];
  const password = env['MQTT_PASSWORD'];
  if (!username || !password)
    throw new Error('MQTT_USERNAME and MQTT_PASSWORD must name the broker’s dynamic-security admin');
  const client: MqttClient = await connectAsync(url, {
    username,
    password,
    clientId: `ep-cli-${randomBytes(4).toString('hex')}`,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
  });
  const waiting: ((r: DynsecResponse[]) => void)[] = [];
  client.on('message', (_topic, payload) => {
    const body = JSON.parse(payload.toString()) as { responses: DynsecResponse[] };
    waiting.shift()?.(body.responses);
  });
  const granted = await client.subscribeAsync(`${CONTROL}/response`, { qos: 1 });
  if (granted.some((g) => g.qos === 128))
    throw new Error(`user ${username} may not use ${CONTROL}: is it the dynamic-security admin?`);
  return {
    /** Sends commands in one request; resolves with each one's response (error set when it failed). */
    async run(commands: object[]): Promise<DynsecResponse[]> {
      const answered = new Promise<DynsecResponse[]>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('the broker did not answer on the control topic')),
          10_000,
        );
        waiting.push((r) => {
          clearTimeout(timer);
          resolve(r);
        });
      });
      await client.publishAsync(CONTROL, JSON.stringify({ commands }), { qos: 1 });
      return answered;
    },
    close: () => client.endAsync(),
  };
}

const newPassword = () => randomBytes(24).toString('base64url');

/** Fails on any error but "already exists" (so setup can run again). */
function check(responses: DynsecResponse[], tolerateExisting = false): void {
  const failed = responses.filter((r) => r.error && !(tolerateExisting && /already exists/i.test(r.error)));
  if (failed.length > 0) throw new Error(failed.map((r) => `${r.command}: ${r.error}`).join('; '));
}

/** Roles, default deny, and the handler's user. Returns the handler's password, or undefined when it existed. */
export async function setupBroker(env: Io['env'], handlerUser: string): Promise<string | undefined> {
  const session = await dynsecSession(env);
  try {
    check(
      await session.run([
        {
          command: 'setDefaultACLAccess',
          acls: [
            { acltype: 'publishClientSend', allow: false },
            { acltype: 'publishClientReceive', allow: false },
            { acltype: 'subscribe', allow: false },
            { acltype: 'unsubscribe', allow: true },
          ],
        },
      ]),
    );
    check(
      await session.run([
        {
          command: 'createRole',
          rolename: HANDLER_ROLE,
          textdescription: 'teststand-handler: every Inbound, every Outbound',
        },
      ]),
      true,
    );
    // ACLs are (re)added on every run, so a changed list in this file reaches the broker.
    await session.run(
      handlerAcls.map((a) => ({
        command: 'removeRoleACL',
        rolename: HANDLER_ROLE,
        acltype: a.acltype,
        topic: a.topic,
      })),
    );
    check(
      await session.run(
        handlerAcls.map((a) => ({ command: 'addRoleACL', rolename: HANDLER_ROLE, priority: 0, ...a })),
      ),
    );
    const password = newPassword();
    const created = await session.run([
      { command: 'createClient', username: handlerUser, password, roles: [{ rolename: HANDLER_ROLE }] },
    ]);
    if (created[0]?.error && /already exists/i.test(created[0].error)) return undefined;
    check(created);
    return password;
  } finally {
    await session.close();
  }
}

/** Creates the stand's user with the stand role; returns its password. */
export async function addStand(env: Io['env'], stand: string): Promise<string> {
  const session = await dynsecSession(env);
  try {
    const password = newPassword();
    const role = standRole(stand);
    const created = await session.run([
      {
        command: 'createRole',
        rolename: role,
        textdescription: `test stand ${stand}: its own Inbound and Outbound only`,
      },
    ]);
    check(created, true);
    check(
      await session.run(
        standAcls(stand).map((a) => ({ command: 'addRoleACL', rolename: role, priority: 0, ...a })),
      ),
      true,
    );
    const responses = await session.run([
      { command: 'createClient', username: stand, password, roles: [{ rolename: role }] },
    ]);
    if (responses[0]?.error && /already exists/i.test(responses[0].error))
      throw new Error(`stand ${stand} already has a broker user (remove it first to issue a new password)`);
    check(responses);
    return password;
  } finally {
    await session.close();
  }
}

export async function removeStand(env: Io['env'], stand: string): Promise<void> {
  const session = await dynsecSession(env);
  try {
    check(await session.run([{ command: 'deleteClient', username: stand }]));
    check(await session.run([{ command: 'deleteRole', rolename: standRole(stand) }]));
  } finally {
    await session.close();
  }
}

/** `ep teststands …`; returns the exit code (0 done, 1 failed, 2 usage). */
export async function runTeststandsCli(argv: string[], io: Io): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { 'handler-user': { type: 'string', default: 'teststand-handler' } },
    });
    const [sub, stand, ...rest] = positionals;
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    switch (sub) {
      case 'setup-broker': {
        const password = await setupBroker(io.env, values['handler-user']);
        io.out(`role ${HANDLER_ROLE} is in place (every Inbound, every Outbound; everything else denied).`);
        if (password) {
          io.out(
            `user ${values['handler-user']} created; its password (shown only now, for the handler's MQTT_PASSWORD):`,
          );
          io.out(password);
        } else io.out(`user ${values['handler-user']} already exists (its password is unchanged).`);
        return 0;
      }
      case 'add':
      case 'remove': {
        if (!stand || !STAND.test(stand))
          throw new UsageError(
            `teststands ${sub} needs a stand name: letters, digits, _ . - (one topic level)`,
          );
        if (sub === 'remove') {
          await removeStand(io.env, stand);
          io.out(`stand ${stand}'s broker user deleted.`);
          return 0;
        }
        const password = await addStand(io.env, stand);
        io.out(
          `stand ${stand} may publish to ${stand}/<module>/Inbound and read ${stand}/<module>/Outbound.`,
        );
        io.out('Its broker user is the stand name; password (shown only now, store it safely):');
        io.out(password);
        return 0;
      }
      default:
        throw new UsageError(sub ? `unknown command "teststands ${sub}"` : 'teststands needs a command');
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`error: ${(err as Error).message}`);
      io.err(`Usage:\n${TESTSTANDS_USAGE}`);
      return 2;
    }
    io.err(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

class UsageError extends Error {}
