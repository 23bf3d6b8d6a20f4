import 'uplot/dist/uPlot.min.css';
import './style.css';
import { features, session, type Features } from './api.js';
import { banner, h } from './dom.js';
import { keyPrompt } from './views/key.js';
import { sitesView, treeView } from './views/sites.js';
import { plotView } from './views/plot.js';
import { uploadsView, uploadFile } from './views/uploads.js';
import { standView, teststandsView } from './views/teststands.js';
import { gatewaysView } from './views/gateways.js';

// Hash routes keep the app one static file set: #/, #/sites/KEY, #/plot?points=1,2, #/uploads,
// #/teststands[/STAND], #/gateways.

let available: Features = { commands: false, gateways: false, packageExport: false };

function nav(): void {
  const links: [string, string][] = [
    ['#/', 'Sites'],
    ['#/uploads', 'Uploads'],
    ['#/teststands', 'Test stands'],
  ];
  if (available.gateways) links.push(['#/gateways', 'Gateways']);
  const current = location.hash.split('?')[0]!.split('/')[1] ?? '';
  document.getElementById('nav')!.replaceChildren(
    ...links.map(([href, label]) =>
      h(
        'a',
        {
          href,
          'aria-current':
            href.split('/')[1] === current || (href === '#/' && current === 'sites') ? 'page' : null,
        },
        label,
      ),
    ),
  );
  document.getElementById('change-key')!.hidden = !session.key();
}

async function route(): Promise<void> {
  banner(null);
  nav();
  if (!session.key()) return keyPrompt(null, () => void route());
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?') as [string, string?];
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case undefined:
    case 'sites':
      return parts[1] ? treeView(parts[1], params) : sitesView();
    case 'plot':
      return plotView(params);
    case 'uploads':
      return uploadsView();
    case 'teststands':
      return parts[1] ? standView(parts[1], await found) : teststandsView();
    case 'gateways':
      return gatewaysView(await found);
    default:
      location.hash = '#/';
  }
}

session.onUnauthorized((message) => keyPrompt(message, () => void route()));
document.getElementById('change-key')!.addEventListener('click', () => {
  session.clear();
  keyPrompt(null, () => void route());
});
window.addEventListener('hashchange', () => void route());
// A file dropped anywhere goes to the upload page.
document.addEventListener('dragover', (e) => e.preventDefault());
document.addEventListener('drop', (e) => {
  e.preventDefault();
  const file = e.dataTransfer?.files[0];
  if (!file || !session.key()) return;
  if (!location.hash.startsWith('#/uploads')) location.hash = '#/uploads';
  void uploadsView().then(() => uploadFile(file));
});

window.__ep = { ready: false };
// The optional endpoints are looked up beside the first page, not before it: only the panels
// that depend on them wait (see route()).
const found = features().then((f) => {
  available = f;
  nav();
  return f;
});
await route();
window.__ep.ready = true;
