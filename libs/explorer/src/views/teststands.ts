import uPlot from 'uplot';
import { allPages, api, ApiError, request, type Features } from '../api.js';
import { errorBox, h, setView } from '../dom.js';
import { age, formatLocal } from '../domain/time.js';

interface StandModule {
  stand: string;
  module: string;
  powerCode: number | null;
  statusCode: number | null;
  lastSeen: string;
  /** teststand-handler's latest liveness event for the stand; null before its first. */
  online: boolean | null;
  livenessChangedAt: string | null;
}

interface Message {
  id: number;
  stand: string;
  module: string;
  kind: string;
  msgType: string | null;
  statusCode: number | null;
  parameters: Record<string, unknown> | null;
  data: Record<string, unknown[]> | null;
  receivedAt: string;
  valid: boolean;
  errors: { field: string; message: string }[];
}

const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
const power = (code: number | null) =>
  code === 600 ? 'on (600)' : code === 610 ? 'off (610)' : code === null ? '—' : String(code);
/** Online / offline in words, with since when, as the handler last decided it. */
function liveness(t: StandModule, now: number): HTMLElement {
  if (t.online === null) return h('td', { title: 'no liveness event from teststand-handler yet' }, '—');
  const since = t.livenessChangedAt ? Date.parse(t.livenessChangedAt) : null;
  return h(
    'td',
    {
      class: t.online ? 'ok' : 'bad',
      title: since === null ? null : `since ${formatLocal(since, ZONE)}`,
    },
    t.online ? 'online' : `offline${since === null ? '' : ` (${age(since, now)})`}`,
  );
}
const COLORS = ['#1f6feb', '#d9480f', '#2b8a3e', '#9c36b5', '#e67700', '#0b7285'];

export async function teststandsView(): Promise<void> {
  setView(h('h1', {}, 'Test stands'), h('p', { class: 'muted' }, 'Loading…'));
  try {
    const { items } = await api<{ items: StandModule[] }>('/api/v1/teststands');
    const now = Date.now();
    setView(
      h('h1', {}, 'Test stands'),
      items.length === 0
        ? h('p', {}, 'No test stand has reported yet.')
        : h(
            'div',
            { class: 'scroll' },
            h(
              'table',
              { id: 'stands' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['stand', 'module', 'liveness', 'power', 'status', 'last seen'].map((t) => h('th', {}, t)),
                ),
              ),
              h(
                'tbody',
                {},
                items.map((t) =>
                  h(
                    'tr',
                    {},
                    h(
                      'th',
                      { scope: 'row' },
                      h('a', { href: `#/teststands/${encodeURIComponent(t.stand)}` }, t.stand),
                    ),
                    h('td', {}, t.module || '(stand)'),
                    liveness(t, now),
                    h('td', {}, power(t.powerCode)),
                    h('td', {}, t.statusCode ?? '—'),
                    h(
                      'td',
                      { title: formatLocal(Date.parse(t.lastSeen), ZONE) },
                      age(Date.parse(t.lastSeen), now),
                    ),
                  ),
                ),
              ),
            ),
          ),
      h('p', { class: 'muted' }, `Times in your browser’s zone, ${ZONE}.`),
    );
  } catch (err) {
    setView(h('h1', {}, 'Test stands'), errorBox(err));
  }
}

/** A data package: one series per numeric key, against the index in the package. */
function packageChart(m: Message): HTMLElement {
  const box = h('div', { class: 'chart small', role: 'img', 'aria-label': `data of package ${m.id}` });
  const keys = Object.entries(m.data ?? {}).filter(
    ([, v]) => Array.isArray(v) && v.some((x) => typeof x === 'number'),
  );
  if (keys.length === 0) return h('p', { class: 'muted' }, 'No numeric data series in this package.');
  const n = Math.max(...keys.map(([, v]) => v.length));
  const data = [
    Array.from({ length: n }, (_, i) => i),
    ...keys.map(([, v]) => v.map((x) => (typeof x === 'number' ? x : null))),
  ];
  requestAnimationFrame(() => {
    new uPlot(
      {
        width: Math.max(260, box.clientWidth || 600),
        height: 220,
        scales: { x: { time: false } },
        axes: [{ label: 'index' }, {}],
        series: [
          { label: 'index' },
          ...keys.map(([k], i) => ({ label: k, stroke: COLORS[i % COLORS.length]! })),
        ],
      },
      data as uPlot.AlignedData,
      box,
    );
  });
  return box;
}

interface Command {
  id: number;
  module: string;
  topic: string;
  commands: string[];
  outcome: string;
  sentAt: string | null;
  error: string | null;
  state: 'pending' | 'answered' | 'no answer' | 'refused' | 'failed';
  replyWindowSeconds: number;
  reply: { messageId: number; statusCode: number | null; receivedAt: string } | null;
}

function commandView(c: Command): HTMLElement {
  const when = (iso: string) => formatLocal(Date.parse(iso), ZONE);
  return h(
    'div',
    { class: c.state === 'refused' || c.state === 'failed' ? 'error' : 'card', id: 'command-view' },
    h(
      'p',
      { id: 'command-status' },
      `Command ${c.id} (${c.commands.join(', ')} → ${c.topic}): `,
      h('strong', {}, c.state),
    ),
    c.sentAt ? h('p', {}, `Sent ${when(c.sentAt)} (the broker took it).`) : null,
    c.error ? h('p', {}, c.error) : null,
    c.reply
      ? h(
          'p',
          { id: 'command-reply' },
          `Reply: status ${c.reply.statusCode ?? '—'} at ${when(c.reply.receivedAt)} (message ${c.reply.messageId}).`,
        )
      : c.state === 'pending'
        ? h('p', {}, `Waiting for the stand’s reply (up to ${c.replyWindowSeconds} s)…`)
        : null,
  );
}

function commandPanel(stand: string, modules: string[]): HTMLElement {
  const params = h(
    'textarea',
    { id: 'command-parameters', rows: 4, spellcheck: false },
    '{\n  "testId": "T-1"\n}',
  );
  const commandInput = h('input', { id: 'command-name', value: 'start', required: true });
  const moduleSelect = h(
    'select',
    { id: 'command-module' },
    modules.map((m) => h('option', { value: m }, m || '(the stand itself)')),
  );
  const out = h('div', { id: 'command-result', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card', id: 'command-form', 'aria-labelledby': 'command-title' },
    h('h2', { id: 'command-title' }, 'Send a command'),
    h('label', { for: 'command-module' }, 'Module'),
    moduleSelect,
    h('label', { for: 'command-name' }, 'Command'),
    commandInput,
    h('label', { for: 'command-parameters' }, 'Parameters (JSON object)'),
    params,
    h('button', { type: 'submit' }, 'Send'),
    out,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      let parameters: unknown;
      try {
        parameters = JSON.parse(params.value || '{}');
      } catch (err) {
        out.replaceChildren(errorBox(`Parameters are not JSON: ${(err as Error).message}`));
        return;
      }
      out.replaceChildren(h('p', {}, 'Sending…'));
      try {
        const path = `/api/v1/teststands/${encodeURIComponent(stand)}/commands`;
        let command = await api<Command>(path, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            ...(moduleSelect.value ? { module: moduleSelect.value } : {}),
            commands: [commandInput.value],
            parameters,
          }),
        });
        // The broker took it (201); the stand's reply is its next status message, which the
        // command record shows when it arrives: poll until the state is final.
        for (
          let i = 0;
          command.state === 'pending' && i < 2 * Math.max(60, command.replyWindowSeconds);
          i++
        ) {
          out.replaceChildren(commandView(command));
          await new Promise((r) => setTimeout(r, 500));
          command = await api<Command>(`${path}/${command.id}`);
        }
        out.replaceChildren(commandView(command));
      } catch (err) {
        out.replaceChildren(
          errorBox(err, err instanceof ApiError ? `The API answered ${err.status}` : undefined),
        );
      }
    })();
  });
  return form;
}

export async function standView(stand: string, available: Features): Promise<void> {
  setView(h('h1', {}, stand), h('p', { class: 'muted' }, 'Loading…'));
  try {
    const { items } = await api<{ items: StandModule[] }>('/api/v1/teststands');
    const modules = items.filter((t) => t.stand === stand);
    const packages = (
      await allPages<Message>(
        `/api/v1/teststands/${encodeURIComponent(stand)}/messages?kind=data&limit=500`,
        5000,
      )
    )
      .slice(-20)
      .reverse();
    const now = Date.now();
    setView(
      h('h1', {}, `Test stand ${stand}`),
      h(
        'ul',
        {},
        modules.map((m) =>
          h(
            'li',
            {},
            `${m.module || '(stand)'}: power ${power(m.powerCode)}, status ${m.statusCode ?? '—'}, last seen ${age(Date.parse(m.lastSeen), now)}`,
          ),
        ),
      ),
      available.commands
        ? commandPanel(stand, [...new Set(modules.map((m) => m.module))])
        : h(
            'p',
            { class: 'note', id: 'commands-unavailable' },
            'Commands: this server has no commands endpoint (POST /api/v1/teststands/{stand}/commands) yet.',
          ),
      h('h2', {}, `Data packages (${packages.length === 20 ? 'newest 20' : packages.length})`),
      packages.length === 0
        ? h('p', { class: 'muted' }, 'No data package yet.')
        : packages.map((m) =>
            h(
              'details',
              { class: 'package', open: m === packages[0] },
              h(
                'summary',
                {},
                `${formatLocal(Date.parse(m.receivedAt), ZONE)} · ${m.module || '(stand)'} · ${m.msgType ?? m.kind}${m.valid ? '' : ' · invalid'}`,
              ),
              m.parameters
                ? h(
                    'table',
                    { class: 'params' },
                    h(
                      'tbody',
                      {},
                      Object.entries(m.parameters).map(([k, v]) =>
                        h(
                          'tr',
                          {},
                          h('th', { scope: 'row' }, k),
                          h('td', {}, typeof v === 'object' ? JSON.stringify(v) : String(v)),
                        ),
                      ),
                    ),
                  )
                : null,
              m.errors.length
                ? h(
                    'ul',
                    { class: 'error' },
                    m.errors.map((e) => h('li', {}, `${e.field}: ${e.message}`)),
                  )
                : null,
              packageChart(m),
              h(
                'button',
                { type: 'button', onclick: () => void downloadPackage(stand, m.id, 'csv') },
                'Download CSV',
              ),
              available.packageExport
                ? h(
                    'button',
                    { type: 'button', onclick: () => void downloadPackage(stand, m.id, 'xlsx') },
                    'Download xlsx',
                  )
                : null,
            ),
          ),
    );
  } catch (err) {
    setView(h('h1', {}, stand), errorBox(err));
  }
}

async function downloadPackage(stand: string, id: number, format: 'csv' | 'xlsx'): Promise<void> {
  const base = `/api/v1/teststands/${encodeURIComponent(stand)}/messages/${id}`;
  const res = await request(format === 'xlsx' ? `${base}/export?format=xlsx` : `${base}?format=csv`);
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: `${stand}-${id}.${format}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
