import { api, type Features } from '../api.js';
import { errorBox, h, setView } from '../dom.js';
import { age, duration, formatLocal } from '../domain/time.js';

/** One row of `GET /api/v1/gateways` (query-api's GatewayStatus). */
interface GatewayStatus {
  name: string;
  site: string;
  vendor: string;
  intervalSeconds: number;
  owner: string | null;
  lastPollAt: string | null;
  lastSuccessAt: string | null;
  lagSeconds: number | null;
  lastError: { kind: string | null; message: string; at: string | null } | null;
}

const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** gateway-poller's error kinds in words (vendor-http.ts, secrets.ts). */
const KIND_WORDS: Record<string, string> = {
  auth_refused: 'credentials refused',
  no_secret: 'no usable credentials',
  unreachable: 'unreachable',
  bad_answer: 'bad answer',
  refused: 'request refused',
};

/**
 * A gateway's state as an operator reads it. The poller clears lastError on its next good poll,
 * so an error present means the latest poll failed; a gateway whose last success is more than
 * three intervals old is late even without an error (no replica holds it, or polls hang).
 */
export function gatewayState(g: GatewayStatus, now: number): { text: string; cls: string } {
  if (g.lastError) return { text: `failing: ${KIND_WORDS[g.lastError.kind ?? ''] ?? 'error'}`, cls: 'bad' };
  if (!g.lastPollAt) return { text: 'not polled yet', cls: 'muted' };
  if (!g.lastSuccessAt || now - Date.parse(g.lastSuccessAt) > 3 * g.intervalSeconds * 1000)
    return { text: 'late', cls: 'bad' };
  return { text: 'ok', cls: 'ok' };
}

const when = (iso: string | null, now: number, cls: string) =>
  iso === null
    ? h('td', { class: cls }, 'never')
    : h('td', { class: cls, title: formatLocal(Date.parse(iso), ZONE) }, age(Date.parse(iso), now));

/** Gateway status, when this server has `GET /api/v1/gateways`. */
export async function gatewaysView(available: Features): Promise<void> {
  if (!available.gateways) {
    setView(
      h('h1', {}, 'Gateways'),
      h('p', { class: 'note' }, 'This server has no gateways endpoint (GET /api/v1/gateways) yet.'),
    );
    return;
  }
  setView(h('h1', {}, 'Gateways'), h('p', { class: 'muted' }, 'Loading…'));
  try {
    const items = await api<GatewayStatus[]>('/api/v1/gateways');
    const now = Date.now();
    const header = ['gateway', 'site', 'vendor', 'status', 'last success', 'lag', 'last error', 'polled by'];
    setView(
      h('h1', {}, 'Gateways'),
      items.length === 0
        ? h('p', {}, 'No gateway configured (ep gateways add).')
        : h(
            'div',
            { class: 'scroll' },
            h(
              'table',
              { id: 'gateways' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  header.map((t) => h('th', {}, t)),
                ),
              ),
              h(
                'tbody',
                {},
                items.map((g) => {
                  const state = gatewayState(g, now);
                  const err = g.lastError;
                  return h(
                    'tr',
                    { 'data-gateway': g.name },
                    h('th', { scope: 'row' }, g.name),
                    h('td', {}, g.site),
                    h('td', {}, g.vendor),
                    h('td', { class: `state ${state.cls}` }, state.text),
                    when(g.lastSuccessAt, now, 'last-success'),
                    h(
                      'td',
                      {
                        class: 'lag num',
                        title: 'last success minus the newest sample it brought',
                      },
                      g.lagSeconds === null ? '—' : duration(g.lagSeconds),
                    ),
                    h(
                      'td',
                      { class: 'last-error' },
                      err
                        ? [
                            err.message,
                            err.at
                              ? h(
                                  'span',
                                  { class: 'muted', title: formatLocal(Date.parse(err.at), ZONE) },
                                  ` (${age(Date.parse(err.at), now)})`,
                                )
                              : null,
                          ]
                        : '—',
                    ),
                    h('td', {}, g.owner ?? '—'),
                  );
                }),
              ),
            ),
          ),
      h(
        'p',
        { class: 'muted' },
        `Times in your browser’s zone, ${ZONE}. Lag: how far behind the newest sample of the last good poll was.`,
      ),
    );
  } catch (err) {
    setView(h('h1', {}, 'Gateways'), errorBox(err));
  }
}
