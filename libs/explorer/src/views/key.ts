import { ApiError, request, session } from '../api.js';
import { h } from '../dom.js';

/** The key prompt: shown first, and again with the API's message when a key stops working. */
export function keyPrompt(message: string | null, done: () => void): void {
  session.clear();
  document.getElementById('change-key')!.hidden = true;
  const input = h('input', {
    id: 'api-key',
    name: 'api-key',
    type: 'password',
    autocomplete: 'off',
    required: true,
    'aria-describedby': 'key-help',
  });
  const error = h(
    'div',
    { id: 'key-error', role: 'alert' },
    message ? h('p', { class: 'error' }, message) : null,
  );
  const form = h(
    'form',
    { class: 'card key', 'aria-labelledby': 'key-title' },
    h('h1', { id: 'key-title' }, 'API key'),
    h(
      'p',
      { id: 'key-help' },
      'Enter an EP API key (from `pnpm ep keys create` or an administrator). It is kept for this tab only.',
    ),
    error,
    h('label', { for: 'api-key' }, 'API key'),
    input,
    h('button', { type: 'submit' }, 'Continue'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    session.setKey(key);
    // Check the key on a read every key may do; the API's message says what is wrong.
    request('/api/v1/sites')
      .then(() => done())
      .catch((err: unknown) => {
        session.clear();
        error.replaceChildren(
          h('p', { class: 'error' }, err instanceof ApiError ? err.message : String(err)),
        );
        input.focus();
      });
  });
  document.getElementById('view')!.replaceChildren(form);
  input.focus();
}
