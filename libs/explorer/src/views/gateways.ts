import { api, type Features } from '../api.js';
import { errorBox, h, setView } from '../dom.js';
import { gatewayState, type GatewayStatus } from '../domain/gateways.js';
import { age, duration, formatLocal } from '../domain/time.js';

const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

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
