import { api, type Features } from '../api.js';
import { errorBox, h, setView } from '../dom.js';
import { age } from '../domain/time.js';

/** Gateway status, when this server has gateway-poller's `GET /api/v1/gateways`. */
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
    const body = await api<{ items: Record<string, unknown>[] }>('/api/v1/gateways');
    const now = Date.now();
    const cell = (v: unknown) => {
      if (v === null || v === undefined) return '—';
      if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) return age(Date.parse(v), now);
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
    };
    const columns = [...new Set(body.items.flatMap((g) => Object.keys(g)))];
    setView(
      h('h1', {}, 'Gateways'),
      body.items.length === 0
        ? h('p', {}, 'No gateway configured.')
        : h(
            'table',
            { id: 'gateways' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                columns.map((c) => h('th', {}, c)),
              ),
            ),
            h(
              'tbody',
              {},
              body.items.map((g) =>
                h(
                  'tr',
                  {},
                  columns.map((c) => h('td', {}, cell(g[c]))),
                ),
              ),
            ),
          ),
    );
  } catch (err) {
    setView(h('h1', {}, 'Gateways'), errorBox(err));
  }
}
