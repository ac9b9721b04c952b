// Reflex timeline UI: plain JavaScript over the engine's read-only API, no build step and nothing from elsewhere.
'use strict';

const ROW = 44;            // px, the height of one timeline row (the list is virtualized: only visible rows exist)
const PAGE = 1000;         // entries per request; older ones load as the list scrolls near its end
const ALL = '*';

const state = {
  token: sessionStorage.getItem('reflex.token') || '',
  system: ALL,
  query: '',
  entries: [],             // newest first
  ids: new Set(),
  more: false,
  loading: false,
  selected: null,
  live: null,              // AbortController of the live feed
  systems: [],
};

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v; else if (k.startsWith('on')) node.addEventListener(k.slice(2), v); else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
};
const fmt = (ms) => new Date(ms).toLocaleString(undefined, { month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });

class Unauthorized extends Error {}

async function api(path, signal) {
  const headers = state.token ? { Authorization: 'Bearer ' + state.token } : {};
  const res = await fetch(path, { headers, signal });
  if (res.status === 401) { askToken(); throw new Unauthorized('token needed'); }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error || ('HTTP ' + res.status));
  return body;
}

function askToken() {
  $('token').hidden = false;
  $('token-input').focus();
}

function status(text) { $('status').textContent = text; }

// --- systems tree

let treeShape = null;      // the systems and what each includes, as the tree was last built

async function loadSystems() {
  const body = await api('/api/systems');
  state.systems = body.systems;
  const byName = new Map(body.systems.map((s) => [s.name, s]));
  const tree = $('tree');
  const shape = JSON.stringify([body.roots, body.systems.map((s) => [s.name, s.includes, s.description])]);
  if (shape === treeShape) {
    // the same systems: only their state changes, in place, so a click landing while the tree refreshes is not lost
    for (const b of tree.querySelectorAll('button[data-system]')) {
      const system = byName.get(b.dataset.system);
      if (system) b.querySelector('.badges').replaceWith(badges(system.state));
    }
  } else {
    treeShape = shape;
    tree.replaceChildren(node(byName.get(ALL), byName, new Set(), true));
    for (const root of body.roots) tree.append(node(byName.get(root), byName, new Set([root]), false));
  }
  if (body.timeline !== 'RUNNING') status('timeline ' + body.timeline.toLowerCase());
}

function badges(s) {
  const all = el('span', { class: 'badges' });
  const add = (n, cls, what) => { if (n > 0) all.append(el('span', { class: 'badge ' + cls, title: n + ' ' + what }, n, el('span', { class: 'visually-hidden' }, ' ' + what))); };
  add(s.firing, 'b-firing', 'alerts firing');
  add(s.running, 'b-running', 'flows running');
  add(s.failed, 'b-failed', 'actions failed in the last hour');
  return all;
}

function node(system, byName, path, isAll) {
  if (!system) return null;
  const label = isAll ? 'All systems' : system.name;
  const button = el('button', { type: 'button', 'data-system': system.name, 'aria-current': String(state.system === system.name),
    title: system.description || label, onclick: () => select(system.name) }, el('span', {}, label), badges(system.state));
  const li = el('li', {}, button);
  if (!isAll && system.includes.length) {
    const ul = el('ul', {});
    for (const child of system.includes) if (!path.has(child)) ul.append(node(byName.get(child), byName, new Set([...path, child]), false));
    li.append(ul);
  }
  return li;
}

function select(system) {
  state.system = system;
  location.hash = 'system=' + encodeURIComponent(system);
  for (const b of document.querySelectorAll('#tree button')) b.setAttribute('aria-current', String(b.dataset.system === system));
  $('timeline-title').textContent = 'Timeline of ' + (system === ALL ? 'all systems' : system);
  reload();
  loadRules();
}

// --- the timeline

function range() { return Number($('range').value); }

let generation = 0;        // which reload a page belongs to: a page that comes back after a newer reload is dropped

async function reload() {
  generation++;
  state.entries = []; state.ids = new Set(); state.more = false; state.loading = false;
  render();
  await loadPage(Date.now() + 86400000);
  startLive();
}

async function loadPage(to) {
  if (state.loading) return;
  const mine = generation;
  state.loading = true;
  try {
    const from = Date.now() - range();
    const q = state.query ? '&q=' + encodeURIComponent(state.query) : '';
    const body = await api(`/api/timeline/${encodeURIComponent(state.system)}?from=${from}&to=${to}&limit=${PAGE}${q}`);
    if (mine !== generation) return;
    for (const e of body.entries) add(e, false);
    state.more = body.more;
    if (body.partial) status('some instances did not answer; the list may be incomplete');
    render();
  } catch (e) {
    if (!(e instanceof Unauthorized) && mine === generation) status('timeline: ' + e.message);
  } finally {
    if (mine === generation) state.loading = false;
  }
}

/** Adds an entry where its time puts it (newest first); false when it is there already. */
function add(entry, fresh) {
  if (state.ids.has(entry.id)) return false;
  state.ids.add(entry.id);
  let lo = 0, hi = state.entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const m = state.entries[mid];
    if (m.time > entry.time || (m.time === entry.time && m.id < entry.id)) lo = mid + 1; else hi = mid;
  }
  state.entries.splice(lo, 0, entry);
  if (fresh && lo < firstVisible()) $('scroller').scrollTop += ROW;   // keep what is on screen in place
  return true;
}

function firstVisible() { return Math.floor($('scroller').scrollTop / ROW); }

function render() {
  const scroller = $('scroller');
  const n = state.entries.length;
  $('spacer').style.height = (n * ROW) + 'px';
  const first = Math.max(0, firstVisible() - 10);
  const last = Math.min(n, first + Math.ceil(scroller.clientHeight / ROW) + 20);
  const rows = $('rows');
  rows.style.top = (first * ROW) + 'px';
  const items = [];
  for (let i = first; i < last; i++) items.push(row(state.entries[i]));
  rows.replaceChildren(...items);
  $('count').textContent = n === 0 ? (state.loading ? 'loading...' : 'nothing in this range')
    : n + (state.more ? '+' : '') + ' entries' + (state.query ? ' matching "' + state.query + '"' : '');
  if (state.more && last >= n - 20) loadPage(state.entries[n - 1].time);
}

function row(e) {
  const kind = e.kind.toLowerCase();
  const what = el('span', { class: 'what' });
  if (e.status && e.status !== 'nothing') what.append(el('span', { class: 's-' + e.status }, e.status), ' ');
  what.append(describe(e));
  return el('li', { 'data-id': e.id, 'data-kind': kind },
    el('button', { type: 'button', 'aria-pressed': String(state.selected === e.id), onclick: () => open(e) },
      el('span', { class: 'when' }, fmt(e.time)), el('span', { class: 'kind k-' + kind }, kind), what));
}

function describe(e) {
  switch (e.kind) {
    case 'EVENT': return `${e.type} ${e.subject ? 'on ' + e.subject : ''} from ${e.source}${e.summary ? ' - ' + e.summary : ''}`;
    default: return e.summary || e.type || e.id;
  }
}

// --- live: server-sent events read with fetch, so the token goes in a header

async function startLive() {
  if (state.live) state.live.abort();
  const controller = new AbortController();
  state.live = controller;
  const since = state.entries.length ? state.entries[0].time : Date.now();
  const q = '?since=' + since + (state.query ? '&q=' + encodeURIComponent(state.query) : '');
  const headers = state.token ? { Authorization: 'Bearer ' + state.token, Accept: 'text/event-stream' } : { Accept: 'text/event-stream' };
  try {
    const res = await fetch(`/api/timeline/${encodeURIComponent(state.system)}/live${q}`, { headers, signal: controller.signal });
    if (res.status === 401) { askToken(); return; }
    if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
    $('live').textContent = 'live';
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let added = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = message.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
        if (message.includes('event: reload')) { reload(); return; }
        if (message.includes('event: entry') && data) {
          const entry = JSON.parse(data);
          if (entry.time >= Date.now() - range() && add(entry, true)) added++;
        }
      }
      if (added) {
        render();
        $('live').textContent = `live: ${added} new`;
        added = 0;
        scheduleSystems();
      }
    }
  } catch (e) {
    if (controller.signal.aborted) return;
    $('live').textContent = 'live feed lost; retrying';
  }
  if (!controller.signal.aborted) setTimeout(() => { if (state.live === controller) startLive(); }, 2000);
}

let systemsTimer = null;
function scheduleSystems() {
  if (systemsTimer) return;
  systemsTimer = setTimeout(() => { systemsTimer = null; loadSystems().catch(() => {}); }, 10000);
}

// --- an entry's story

async function open(entry) {
  state.selected = entry.id;
  render();
  const box = $('story');
  box.replaceChildren(el('p', {}, 'loading...'));
  if (!entry.eventId) { box.replaceChildren(entryDetail(entry)); return; }
  try {
    const story = await api('/api/stories/' + encodeURIComponent(entry.eventId));
    box.replaceChildren(storyView(story));
    if (story.event) before(story.event, box);
  } catch (e) {
    if (e instanceof Unauthorized) return;
    box.replaceChildren(entryDetail(entry), el('p', { class: 'hint' }, 'No story: ' + e.message));
  }
}

function entryDetail(e) {
  return el('section', { 'aria-label': 'Entry' }, el('h3', {}, e.kind.toLowerCase() + ' ' + (e.status || '')),
    el('dl', {}, ...pairs({ time: fmt(e.time), summary: e.summary, rules: (e.rules || []).join(', '), systems: (e.systems || []).join(', ') })));
}

function pairs(o) {
  const out = [];
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && v !== '') out.push(el('dt', {}, k), el('dd', {}, v));
  return out;
}

function storyView(story) {
  const ev = story.event;
  const section = el('section', { 'aria-label': 'Story', id: 'story-view' });
  if (ev) {
    section.append(el('h3', {}, 'Event ' + ev.type + (ev.subject ? ' on ' + ev.subject : '')),
      el('dl', {}, ...pairs({ id: ev.id, source: ev.source, 'seen at': fmt(ev.time),
        'event time': ev.detail && ev.detail.eventTime ? fmt(ev.detail.eventTime) : '', severity: ev.severity, status: ev.status,
        systems: story.systems.filter((s) => s !== ALL).join(', ') || 'none', masked: story.masks.join(', ') })));
    if (ev.detail && ev.detail.labels) section.append(el('h3', {}, 'Labels'), el('pre', {}, JSON.stringify(ev.detail.labels, null, 2)));
    if (ev.data) section.append(el('h3', {}, 'Data'), el('pre', {}, pretty(ev.data)));
  } else {
    section.append(el('h3', {}, 'Event ' + story.eventId), el('p', { class: 'hint' }, 'The event itself is not on the timeline.'));
  }
  const list = el('ul', { class: 'plain story-list' });
  for (const e of story.entries) list.append(el('li', {}, storyEntry(e)));
  section.append(el('h3', {}, 'What came of it'), story.entries.length ? list : el('p', { class: 'hint' }, 'Nothing yet: no decision has been recorded.'));
  return section;
}

function storyEntry(e) {
  const head = el('p', {}, el('strong', { class: 'kind k-' + e.kind.toLowerCase() }, e.kind.toLowerCase()), ' ', fmt(e.time), ' ',
    el('span', { class: 's-' + e.status }, e.status || ''), ' - ', e.summary || '');
  const box = el('div', {}, head);
  if (e.kind === 'DECISION' && e.detail) {
    const rules = el('ul', {});
    for (const r of e.detail.rules || []) rules.append(el('li', {}, `${r.rule} (${r.version}): ${r.outcome}${r.detail ? ' - ' + r.detail : ''}`));
    box.append(rules);
    const regs = e.detail.registersRead || {};
    if (Object.keys(regs).length) box.append(el('p', {}, 'Registers read:'), el('pre', {}, JSON.stringify(regs, null, 2)));
    if ((e.detail.actions || []).length) box.append(el('p', {}, 'Actions: ' + e.detail.actions.join(', ')));
  }
  if (e.kind === 'RESULT' && e.data) box.append(el('pre', {}, pretty(e.data)));
  if (e.kind === 'FLOW') box.append(el('p', { class: 'hint' }, 'flow run ' + e.flow));
  return box;
}

function pretty(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text; }
}

async function before(ev, box) {
  if (state.system === ALL && !ev.type) return;
  try {
    const system = state.system;
    const b = await api(`/api/timeline/${encodeURIComponent(system)}/before?type=${encodeURIComponent(ev.type)}&subject=${encodeURIComponent(ev.subject || '')}&at=${Date.now()}`);
    const list = el('ul', { class: 'plain story-list' });
    for (const o of b.occurrences.filter((o) => o.eventId !== ev.id).slice(0, 20)) {
      const done = o.done.length ? o.done.map((d) => d.summary || d.status).join('; ') : 'nothing was done';
      list.append(el('li', {}, el('button', { type: 'button', onclick: () => open({ eventId: o.eventId, id: o.eventId, kind: 'EVENT' }) }, fmt(o.time)), ' ', done));
    }
    box.append(el('section', { 'aria-labelledby': 'before-title' },
      el('h3', { id: 'before-title' }, 'Has this happened before?'),
      el('p', { id: 'before-counts' }, `${ev.type} on ${ev.subject || '(no subject)'} in ${system === ALL ? 'all systems' : system}: `
        + `${b.last7days} times in the last 7 days, ${b.last30days} in the last 30 (this one included).`), list));
  } catch (e) { /* the story stands without it */ }
}

async function loadRules() {
  const list = $('rules');
  try {
    const body = await api(`/api/timeline/${encodeURIComponent(state.system)}/rules`);
    list.replaceChildren(...body.rules.map((r) => el('li', {}, el('strong', {}, r.id), ` (${r.kind} ${r.version}, ${r.status}`
      + `${r.enabled ? '' : ', disabled'}): when ${r.source || 'any source'} / ${r.type || 'any type'}`
      + (r.actions.length ? '; acts on ' + r.actions.join(', ') : '')
      + '; ' + (r.lastFired ? 'last fired ' + fmt(r.lastFired) : 'not fired in 30 days'))));
    if (!body.rules.length) list.replaceChildren(el('li', { class: 'hint' }, 'No rule may act on this system.'));
  } catch (e) {
    if (!(e instanceof Unauthorized)) list.replaceChildren(el('li', {}, 'rules: ' + e.message));
  }
}

// --- search: an event id opens its story; anything else filters the timeline by id, subject, type or text

async function search(text) {
  state.query = '';
  if (text) {
    try {
      const story = await api('/api/stories/' + encodeURIComponent(text));
      if (story && story.eventId) {
        status('event ' + text);
        $('story').replaceChildren(storyView(story));
        if (story.event) before(story.event, $('story'));
        return;
      }
    } catch (e) { /* not an event id */ }
    state.query = text;
  }
  status(text ? 'showing entries matching "' + text + '"' : '');
  reload();
}

// --- start

function start() {
  $('scroller').addEventListener('scroll', () => requestAnimationFrame(render));
  window.addEventListener('resize', () => render());
  $('range').addEventListener('change', reload);
  $('search').addEventListener('submit', (ev) => { ev.preventDefault(); search($('q').value.trim()); });
  $('clear').addEventListener('click', () => { $('q').value = ''; search(''); });
  $('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    state.token = $('token-input').value;
    sessionStorage.setItem('reflex.token', state.token);
    $('token').hidden = true;
    boot();
  });
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get('system')) state.system = hash.get('system');
  boot();
  setInterval(() => loadSystems().catch(() => {}), 15000);
}

async function boot() {
  try {
    await loadSystems();
    select(state.system);
  } catch (e) {
    if (!(e instanceof Unauthorized)) status('cannot reach the engine: ' + e.message);
  }
}

start();
