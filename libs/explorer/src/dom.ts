// A few lines instead of a framework: build elements, show errors in words.
import { session } from './api.js';

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'object' ? c : String(c));
  }
  return el;
}

export const fmtNumber = (v: number | null | undefined, digits = 3) =>
  v === null || v === undefined
    ? '—'
    : Number.isInteger(v)
      ? v.toLocaleString('en-US')
      : v.toPrecision(digits);

/** An error as a visible, announced paragraph (the API's message, never a blank page). */
export function errorBox(err: unknown, what?: string): HTMLElement {
  const message = err instanceof Error ? err.message : String(err);
  const details = (err as { details?: unknown }).details;
  const list = Array.isArray(details)
    ? h(
        'ul',
        {},
        details.slice(0, 20).map((d) => h('li', {}, typeof d === 'object' ? JSON.stringify(d) : String(d))),
      )
    : null;
  return h(
    'div',
    { class: 'error', role: 'alert' },
    what ? h('strong', {}, `${what}: `) : null,
    message,
    list,
  );
}

export function setView(...children: (Child | Child[])[]): HTMLElement {
  const view = document.getElementById('view')!;
  // A request that answered 401 has put up the key prompt; the view that made it must not
  // replace the prompt with its error.
  if (!session.key() && view.querySelector('#api-key')) return view;
  view.replaceChildren(...(children.flat().filter(Boolean) as (Node | string)[]));
  return view;
}

export function banner(message: string | null): void {
  const el = document.getElementById('banner')!;
  el.textContent = message ?? '';
  el.classList.toggle('shown', Boolean(message));
}
