import { api, authHeader, ApiError, errorOf, session } from '../api.js';
import { errorBox, fmtNumber, h, setView } from '../dom.js';
import { formatLocal } from '../domain/time.js';
import type { Site } from './sites.js';

interface Issue {
  line: number;
  column: number | null;
  reason: string;
}

interface Upload {
  id: string;
  kind: string;
  format: string | null;
  filename: string | null;
  site: string;
  receivedAt: string;
  status: string;
  counts: { points: number; samples: number; samplesStored: number; rejected: number };
  errors: Issue[];
}

interface Report {
  uploadId: string;
  format: string | null;
  site: string;
  filename: string | null;
  status: string;
  points: number;
  samples: number;
  samplesStored: number;
  rejected: number;
  errors: Issue[];
  duplicate?: boolean;
}

const FINAL = new Set(['stored', 'failed']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let sites: Site[] = [];
let panel: HTMLElement | null = null;

/** Siemens Insight reports start with `Key Name:`/`Point_N:` lines or point definitions; the rest is ALC. */
async function guessKind(file: File): Promise<'siemens' | 'alc'> {
  const head = await file.slice(0, 4096).text();
  return /^(\uFEFF)?"?(Key Name:|Point_\d+:|Point System Name:|Report Number:|<>Date)/m.test(head)
    ? 'siemens'
    : 'alc';
}

function issuesTable(errors: Issue[], total: number): HTMLElement | null {
  if (errors.length === 0) return null;
  return h(
    'div',
    {},
    h(
      'h3',
      {},
      `Rejected rows (${fmtNumber(total)}${total > errors.length ? `, first ${errors.length} listed` : ''})`,
    ),
    h(
      'table',
      { class: 'issues' },
      h('thead', {}, h('tr', {}, h('th', {}, 'line'), h('th', {}, 'column'), h('th', {}, 'reason'))),
      h(
        'tbody',
        {},
        errors.map((e) =>
          h(
            'tr',
            {},
            h('td', { class: 'num' }, e.line),
            h('td', { class: 'num' }, e.column ?? ''),
            h('td', {}, e.reason),
          ),
        ),
      ),
    ),
  );
}

function reportView(r: Report, tz: string | undefined): HTMLElement {
  const u = r;
  return h(
    'section',
    { id: 'upload-report', class: 'card', 'aria-label': 'upload report' },
    h('h2', {}, `Report: ${u.filename ?? u.uploadId}`),
    u.duplicate
      ? h('p', { class: 'muted' }, 'This exact file was uploaded before; nothing was ingested again.')
      : null,
    h(
      'dl',
      { class: 'report' },
      h('dt', {}, 'status'),
      h('dd', { id: 'report-status' }, u.status),
      h('dt', {}, 'format'),
      h('dd', {}, u.format ?? 'not recognised'),
      h('dt', {}, 'site'),
      h('dd', {}, h('a', { href: `#/sites/${encodeURIComponent(u.site)}` }, u.site), tz ? ` (${tz})` : ''),
      h('dt', {}, 'points'),
      h('dd', { id: 'report-points' }, fmtNumber(u.points)),
      h('dt', {}, 'samples'),
      h('dd', { id: 'report-samples' }, fmtNumber(u.samples)),
      h('dt', {}, 'stored'),
      h('dd', { id: 'report-stored' }, fmtNumber(u.samplesStored)),
      h('dt', {}, 'rejected'),
      h('dd', { id: 'report-rejected' }, fmtNumber(u.rejected)),
    ),
    issuesTable(u.errors, u.rejected),
  );
}

function progress(labelText: string, value: number | null): HTMLElement {
  return h(
    'div',
    { class: 'progress' },
    h('label', { for: 'upload-progress' }, labelText),
    h('progress', { id: 'upload-progress', max: 1, ...(value === null ? {} : { value }) }),
  );
}

async function listUploads(target: HTMLElement): Promise<void> {
  try {
    const { items } = await api<{ items: Upload[] }>('/api/v1/uploads?limit=50');
    const zone = (site: string) => sites.find((s) => s.key === site)?.timezone ?? 'UTC';
    target.replaceChildren(
      h('h2', {}, 'Earlier uploads'),
      items.length === 0
        ? h('p', { class: 'muted' }, 'None yet.')
        : h(
            'div',
            { class: 'scroll' },
            h(
              'table',
              { id: 'uploads-table' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['received', 'file', 'format', 'site', 'status', 'samples', 'rejected'].map((t) =>
                    h('th', {}, t),
                  ),
                ),
              ),
              h(
                'tbody',
                {},
                items.map((u) =>
                  h(
                    'tr',
                    { 'data-upload': u.id },
                    h('td', {}, formatLocal(Date.parse(u.receivedAt), zone(u.site))),
                    h('td', {}, u.filename ?? '—'),
                    h('td', {}, u.format ?? '—'),
                    h('td', {}, u.site),
                    h('td', { class: `status-${u.status}` }, u.status),
                    h(
                      'td',
                      { class: 'num' },
                      `${fmtNumber(u.counts.samplesStored)} / ${fmtNumber(u.counts.samples)}`,
                    ),
                    h('td', { class: 'num' }, fmtNumber(u.counts.rejected)),
                  ),
                ),
              ),
            ),
          ),
    );
  } catch (err) {
    target.replaceChildren(h('h2', {}, 'Earlier uploads'), errorBox(err));
  }
}

/** POST with upload progress (fetch has none); resolves with the status and JSON body. */
function post(url: string, file: File, onSent: (fraction: number) => void, onReceived: () => void) {
  return new Promise<Response>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    for (const [k, v] of Object.entries(authHeader())) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => e.lengthComputable && onSent(e.loaded / e.total);
    xhr.upload.onload = () => onReceived();
    xhr.onload = () =>
      resolve(
        new Response(xhr.responseText, {
          status: xhr.status,
          headers: { 'content-type': 'application/json' },
        }),
      );
    xhr.onerror = () => reject(new ApiError(0, 'The upload did not reach the server (network error).'));
    const body = new FormData();
    body.append('file', file, file.name);
    xhr.send(body);
  });
}

/** Sends a file and follows it: received → parsing/publishing → stored, then its report. */
export async function uploadFile(file: File): Promise<void> {
  if (!panel) return;
  const siteSelect = document.getElementById('upload-site') as HTMLSelectElement;
  const kindSelect = document.getElementById('upload-kind') as HTMLSelectElement;
  const site = siteSelect.value;
  const kind = kindSelect.value === 'auto' ? await guessKind(file) : (kindSelect.value as 'siemens' | 'alc');
  const tz = sites.find((s) => s.key === site)?.timezone;
  const out = panel;
  const line = h('p', { id: 'upload-phase', 'aria-live': 'polite' });
  const bar = h('div');
  out.replaceChildren(h('h2', {}, `${file.name} → ${kind}, site ${site}`), line, bar);
  const phase = (text: string, value: number | null) => {
    line.textContent = text;
    bar.replaceChildren(progress('progress', value));
  };
  phase('Receiving: 0%', 0);
  let answered = false;
  const started = Date.now();
  // While the request is open the service parses and publishes; its upload record says which.
  const watch = async () => {
    while (!answered) {
      await sleep(400);
      if (answered) break;
      const { items } = await api<{ items: Upload[] }>(
        `/api/v1/uploads?site=${encodeURIComponent(site)}&limit=5`,
      ).catch(() => ({ items: [] as Upload[] }));
      const u = items.find((x) => x.filename === file.name && Date.parse(x.receivedAt) >= started - 60_000);
      if (u && !answered)
        phase(`Server has the file: ${u.status} (${fmtNumber(u.counts.samples)} samples so far)`, null);
    }
  };
  try {
    const res = await post(
      `/upload/${kind}?site=${encodeURIComponent(site)}`,
      file,
      (f) => phase(`Receiving: ${Math.round(f * 100)}%`, f),
      () => {
        phase('Received; parsing and publishing…', null);
        void watch();
      },
    );
    answered = true;
    if (!res.ok) {
      const err = await errorOf(res);
      if (res.status === 401) session.clear();
      out.replaceChildren(
        h('h2', {}, `${file.name}: refused`),
        errorBox(err, `upload-ingest answered ${res.status}`),
      );
      return;
    }
    let report = (await res.json()) as Report;
    // Stored: the measurement store has committed every sample. Poll the record until then.
    for (let i = 0; i < 600 && !FINAL.has(report.status); i++) {
      phase(
        `Storing: ${fmtNumber(report.samplesStored)} of ${fmtNumber(report.samples)} samples (${report.status})`,
        report.samples ? report.samplesStored / report.samples : null,
      );
      await sleep(500);
      const u = await api<Upload>(`/api/v1/uploads/${report.uploadId}`);
      report = { ...report, status: u.status, samplesStored: u.counts.samplesStored };
    }
    out.replaceChildren(reportView(report, tz));
    void listUploads(document.getElementById('uploads-list')!);
  } catch (err) {
    answered = true;
    out.replaceChildren(errorBox(err, 'Upload failed'));
  }
}

export async function uploadsView(): Promise<void> {
  if (document.getElementById('upload-form')) return;
  setView(h('h1', {}, 'Uploads'), h('p', { class: 'muted' }, 'Loading…'));
  try {
    sites = (await api<{ items: Site[] }>('/api/v1/sites')).items;
  } catch (err) {
    setView(h('h1', {}, 'Uploads'), errorBox(err));
    return;
  }
  const fileInput = h('input', { id: 'upload-file', type: 'file', accept: '.csv,.txt,text/csv' });
  const drop = h(
    'div',
    {
      id: 'drop-zone',
      class: 'drop',
      tabindex: 0,
      role: 'button',
      'aria-label': 'Drop a Siemens or ALC file here, or press Enter to choose one',
    },
    'Drop a Siemens Insight or Automated Logic CSV here, or press Enter to choose a file.',
  );
  drop.addEventListener('click', () => fileInput.click());
  drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      fileInput.click();
    }
  });
  drop.addEventListener('dragenter', () => drop.classList.add('over'));
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', () => drop.classList.remove('over'));
  fileInput.addEventListener('change', () => {
    const f = fileInput.files?.[0];
    if (f) void uploadFile(f);
    fileInput.value = '';
  });
  panel = h('section', { id: 'upload-panel', 'aria-live': 'polite' });
  const list = h('section', { id: 'uploads-list' });
  setView(
    h('h1', {}, 'Uploads'),
    sites.length === 0
      ? h(
          'p',
          { class: 'error' },
          'No site to upload to: an administrator adds one with `pnpm ep sites add <key> --tz <zone>`.',
        )
      : h(
          'form',
          { id: 'upload-form', class: 'toolbar', onsubmit: (e: Event) => e.preventDefault() },
          h('label', { for: 'upload-site' }, 'Site'),
          h(
            'select',
            { id: 'upload-site' },
            sites.map((s) => h('option', { value: s.key }, `${s.name} (${s.timezone})`)),
          ),
          h('label', { for: 'upload-kind' }, 'Exported by'),
          h(
            'select',
            { id: 'upload-kind' },
            h('option', { value: 'auto' }, 'recognise from the file'),
            h('option', { value: 'siemens' }, 'Siemens Insight'),
            h('option', { value: 'alc' }, 'Automated Logic (WebCTRL)'),
          ),
          h('label', { for: 'upload-file' }, 'File'),
          fileInput,
        ),
    sites.length ? drop : null,
    panel,
    list,
  );
  await listUploads(list);
}
