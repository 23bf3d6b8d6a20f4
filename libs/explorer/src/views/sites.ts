import { allPages, api } from '../api.js';
import { errorBox, fmtNumber, h, setView } from '../dom.js';
import { age, formatLocal } from '../domain/time.js';
import { buildTree, searchPoints, type PointInfo } from '../domain/tree.js';

export interface Site {
  key: string;
  name: string;
  timezone: string;
}

export async function sitesView(): Promise<void> {
  setView(h('h1', {}, 'Sites'), h('p', { class: 'muted' }, 'Loading…'));
  try {
    const { items } = await api<{ items: Site[] }>('/api/v1/sites');
    setView(
      h('h1', {}, 'Sites'),
      items.length === 0
        ? h('p', {}, 'No sites yet: an administrator adds one with `pnpm ep sites add <key> --tz <zone>`.')
        : h(
            'ul',
            { class: 'sites' },
            items.map((s) =>
              h(
                'li',
                {},
                h('a', { href: `#/sites/${encodeURIComponent(s.key)}` }, s.name),
                h('span', { class: 'muted' }, ` ${s.key} · ${s.timezone}`),
              ),
            ),
          ),
    );
  } catch (err) {
    setView(h('h1', {}, 'Sites'), errorBox(err));
  }
}

function valueText(p: PointInfo): string {
  if (p.lastValue === null) return '—';
  const state = p.states?.[String(p.lastValue)];
  return state ? `${state} (${p.lastValue})` : `${fmtNumber(p.lastValue, 4)}${p.unit ? ` ${p.unit}` : ''}`;
}

/** A site's points as node → device → parameter, searchable, with last value and age. */
export async function treeView(siteKey: string, params: URLSearchParams): Promise<void> {
  setView(h('h1', {}, siteKey), h('p', { class: 'muted' }, 'Loading points…'));
  let site: Site;
  let points: PointInfo[];
  try {
    site = await api<Site>(`/api/v1/sites/${encodeURIComponent(siteKey)}`);
    points = await allPages<PointInfo>(`/api/v1/points?site=${encodeURIComponent(siteKey)}&limit=1000`);
  } catch (err) {
    setView(h('h1', {}, siteKey), errorBox(err));
    return;
  }
  const now = Date.now();
  const selected = new Set<number>();
  const search = h('input', {
    id: 'search',
    type: 'search',
    value: params.get('q') ?? '',
    placeholder: 'name, unit or kind — e.g. temp, kWh, kind:state',
  });
  const count = h('span', { class: 'muted', 'aria-live': 'polite' });
  const plotButton = h('button', { type: 'button', id: 'plot-selected', disabled: true }, 'Plot selected');
  const tree = h('div', { class: 'tree' });

  const updateButton = () => {
    plotButton.disabled = selected.size === 0;
    plotButton.textContent = `Plot selected (${selected.size})`;
  };
  plotButton.addEventListener('click', () => {
    location.hash = `#/plot?points=${[...selected].join(',')}`;
  });

  const row = (p: PointInfo) => {
    const box = h('input', { type: 'checkbox', id: `sel-${p.id}`, checked: selected.has(p.id) });
    box.addEventListener('change', () => {
      if (box.checked) selected.add(p.id);
      else selected.delete(p.id);
      updateButton();
    });
    const last = p.lastTs ? Date.parse(p.lastTs) : null;
    return h(
      'tr',
      { 'data-point': p.id },
      h('td', {}, box, h('label', { for: `sel-${p.id}`, class: 'sr-only' }, `select ${p.name}`)),
      h('th', { scope: 'row' }, h('a', { href: `#/plot?points=${p.id}`, title: p.name }, p.parameter)),
      h(
        'td',
        { class: 'num' },
        valueText(p),
        p.lastQuality ? h('span', { class: 'bad', title: `quality ${p.lastQuality}` }, ' ⚠') : null,
      ),
      h('td', { title: last ? formatLocal(last, site.timezone) : '' }, last ? age(last, now) : 'no data'),
      h('td', { class: 'muted' }, [p.kind, p.description].filter(Boolean).join(' · ')),
    );
  };

  const render = () => {
    const found = searchPoints(points, search.value);
    const open = search.value.trim() !== '' || found.length <= 50;
    count.textContent = `${found.length} of ${points.length} points`;
    tree.replaceChildren(
      ...buildTree(found).map((n) =>
        h(
          'details',
          { open },
          h(
            'summary',
            {},
            n.node,
            h('span', { class: 'muted' }, ` ${n.devices.reduce((a, d) => a + d.points.length, 0)}`),
          ),
          n.devices.map((d) =>
            h(
              'div',
              { class: 'device' },
              h('h3', {}, d.device || '(no device)'),
              h(
                'table',
                {},
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    h('th', {}, ''),
                    h('th', {}, 'parameter'),
                    h('th', {}, 'last value'),
                    h('th', {}, 'age'),
                    h('th', {}, 'kind'),
                  ),
                ),
                h('tbody', {}, d.points.map(row)),
              ),
            ),
          ),
        ),
      ),
    );
  };
  search.addEventListener('input', () => {
    history.replaceState(
      null,
      '',
      `#/sites/${encodeURIComponent(siteKey)}${search.value ? `?q=${encodeURIComponent(search.value)}` : ''}`,
    );
    render();
  });

  setView(
    h('h1', {}, site.name, h('span', { class: 'muted' }, ` ${site.key} · times in ${site.timezone}`)),
    h('div', { class: 'toolbar' }, h('label', { for: 'search' }, 'Search points'), search, count, plotButton),
    tree,
  );
  updateButton();
  render();
}
