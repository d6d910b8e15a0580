// clickcheck serve dashboard: keeps the server-rendered page live from the JSON API.
// Every value reaches the page as text or an attribute value, never as HTML.
(() => {
  'use strict';

  const REFRESH_MS = 1000;
  const FETCH_TIMEOUT_MS = 5000;
  const EVENTS_SHOWN = 50;
  const BODY_SHOWN = 64 * 1024;
  const STATS = ['events', 'delivered', 'exhausted', 'rejected', 'pending', 'attempts'];
  const RESULTS = ['delivered', 'pending', 'retry', 'exhausted', 'rejected'];

  const byId = (id) => document.getElementById(id);
  const state = {
    filter: '', selected: '', timer: 0, running: false, again: false,
    lastEvents: '', lastHooks: '', lastDetail: '', lastBanner: '', lastUpdate: '',
  };

  // h builds an element; attributes are set with setAttribute and children appended as
  // text nodes or elements, so nothing is ever parsed as HTML.
  function h(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== undefined && v !== null && v !== false) e.setAttribute(k, String(v));
    }
    for (const c of children.flat(2)) {
      if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
    }
    return e;
  }

  // cls keeps class names to the known results.
  const cls = (result) => (RESULTS.includes(result) ? result : 'unknown');
  const pad = (n, w) => String(n).padStart(w, '0');

  // The formatting below mirrors dashboard.go (codeText, latencyText, countdownText,
  // clockText): change both together.

  function fmtClock(iso) {
    const d = new Date(iso || '');
    if (isNaN(d) || d.getUTCFullYear() <= 1) return '—';
    return `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(d.getUTCMilliseconds(), 3)}`;
  }

  // splitTime keeps the sub-millisecond digits Date drops: [epoch ms, fraction in ms].
  function splitTime(iso) {
    const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(iso || '');
    if (!m) return null;
    const base = Date.parse(m[1] + m[3]);
    return isNaN(base) ? null : [base, m[2] ? Number('0.' + m[2]) * 1000 : 0];
  }

  function fmtLatency(startIso, endIso) {
    const a = splitTime(startIso);
    const b = splitTime(endIso);
    if (!a || !b) return '—';
    const ms = (b[0] - a[0]) + (b[1] - a[1]);
    if (!(ms >= 0)) return '—';
    if (ms < 10) return ms.toFixed(1) + ' ms';
    if (ms < 1000) return Math.round(ms) + ' ms';
    return (ms / 1000).toFixed(2) + ' s';
  }

  function fmtCode(a) {
    if (a.error) return a.error;
    if (!a.status) return '—';
    return String(a.status);
  }

  function fmtCountdown(n, nextIso, now) {
    const what = n > 0 ? `attempt #${n}` : 'next attempt';
    const secs = Math.ceil((Date.parse(nextIso) - now) / 1000);
    if (!(secs > 0)) return `${what} due now`;
    if (secs < 60) return `${what} in ${secs}s`;
    if (secs < 3600) return `${what} in ${Math.floor(secs / 60)}m ${secs % 60}s`;
    return `${what} in ${Math.floor(secs / 3600)}h ${Math.floor((secs % 3600) / 60)}m`;
  }

  function describe(err) {
    if (err && err.name === 'TimeoutError') return `no answer within ${FETCH_TIMEOUT_MS / 1000} s`;
    return (err && err.message) || String(err);
  }

  function request(path, init) {
    return fetch(path, {
      credentials: 'same-origin', cache: 'no-store', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      ...init, headers: { Accept: 'application/json', ...((init && init.headers) || {}) },
    });
  }

  async function getJSON(path) {
    const res = await request(path);
    let doc = null;
    try { doc = await res.json(); } catch (_) { /* not JSON: reported below by status */ }
    if (!res.ok) {
      const err = new Error(doc && doc.error ? doc.error : `${res.status} ${res.statusText} for ${path}`);
      err.status = res.status;
      throw err;
    }
    if (doc === null) throw new Error(`${path} did not answer JSON`);
    return doc;
  }

  // Counters

  function renderStats(st) {
    for (const k of STATS) byId('stat-' + k).textContent = typeof st[k] === 'number' ? String(st[k]) : '—';
    const ok = st.events === st.delivered + st.exhausted + st.rejected + st.pending;
    const p = byId('accounting');
    p.className = 'accounting ' + (ok ? 'ok' : 'bad');
    p.textContent = ok
      ? '✓ events = delivered + exhausted + rejected + pending'
      : '✗ events ≠ delivered + exhausted + rejected + pending: an event is unaccounted for';
  }

  // Events and their attempt timelines

  function nextItem(tag, attrs, d) {
    const n = d.nextAttempt || 0;
    return h(tag, { ...attrs, 'data-next-at': d.nextAttemptAt, 'data-next': n }, fmtCountdown(n, d.nextAttemptAt, Date.now()));
  }

  function eventRow(ev) {
    const deliveries = (ev.deliveries || []).map((d) => {
      const items = (d.attempts || []).map((a) => h('li', { class: `att r-${cls(a.result)}`, title: a.message || null },
        h('span', { class: 'n' }, `#${a.attempt}`), ' ',
        h('span', { class: 'code' }, fmtCode(a)), ' ',
        h('span', { class: 'lat' }, fmtLatency(a.startedAt, a.finishedAt)), ' ',
        h('span', { class: 'res' }, a.result)));
      if (d.result === 'pending' && d.nextAttemptAt) items.push(nextItem('li', { class: 'next' }, d));
      const target = d.webhook || d.url;
      return h('div', { class: 'delivery' },
        h('span', { class: 'target mono', title: target }, target),
        h('ol', { class: 'timeline' }, items));
    });
    return h('tr', { 'data-event-id': ev.eventId, class: ev.eventId === state.selected ? 'selected' : null },
      h('td', null, h('button', { type: 'button', class: 'link mono', 'data-select': ev.eventId }, ev.eventId)),
      h('td', null, ev.eventType),
      h('td', null, h('time', { datetime: ev.createdAt }, fmtClock(ev.createdAt))),
      h('td', null, h('span', { class: `badge r-${cls(ev.result)}` }, ev.result)),
      h('td', null, deliveries));
  }

  // renderEvents redraws only on a change, and gives focus back to the button that had it.
  function renderEvents(list) {
    const key = state.selected + '\n' + JSON.stringify(list);
    if (key === state.lastEvents) return;
    state.lastEvents = key;
    const active = document.activeElement;
    const focused = active && active.closest && active.closest('#events-body') ? active.getAttribute('data-select') : null;
    const body = byId('events-body');
    const empty = state.filter ? `No ${state.filter} events among the newest.` : 'No events yet. Send clicks with the form.';
    body.replaceChildren(...(list.length ? list.map(eventRow) : [h('tr', { class: 'empty' }, h('td', { colspan: 5 }, empty))]));
    if (focused) {
      const again = body.querySelector(`[data-select="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
  }

  // Webhooks

  function hookRow(w) {
    let cred = ['no credentials'];
    if (w.oauth) {
      cred = ['OAuth client ', h('span', { class: 'mono' }, w.oauth.clientId), ', secret ', h('span', { class: 'mono' }, w.oauth.clientSecret)];
    } else if (w.httpAuthorization) {
      cred = ['Authorization ', h('span', { class: 'mono' }, w.httpAuthorization)];
    }
    return h('tr', null,
      h('td', { class: 'mono' }, h('span', { class: 'account' }, w.accountId), ' ', h('span', { class: 'sub' }, w.subAccountId)),
      h('td', { class: 'mono url' }, w.url),
      h('td', { class: 'on' }, w.enabled ? 'enabled' : 'disabled'),
      h('td', { class: 'cred' }, cred));
  }

  function renderHooks(list) {
    const key = JSON.stringify(list);
    if (key === state.lastHooks) return;
    state.lastHooks = key;
    const empty = 'No webhook configured: register one with POST /api/v1/accounts/{accountId}/webhooks, or give a receiver URL above.';
    byId('hooks-body').replaceChildren(...(list.length ? list.map(hookRow) : [h('tr', { class: 'empty' }, h('td', { colspan: 4 }, empty))]));
  }

  // The selected event's detail

  function pair(term, value) {
    return h('div', null, h('dt', null, term), h('dd', null, value));
  }

  function deliverySection(d) {
    const rows = (d.attempts || []).map((a) => h('tr', null,
      h('td', null, String(a.attempt)),
      h('td', null, h('time', { datetime: a.scheduledAt }, fmtClock(a.scheduledAt))),
      h('td', null, h('time', { datetime: a.startedAt }, fmtClock(a.startedAt))),
      h('td', null, fmtCode(a)),
      h('td', null, fmtLatency(a.startedAt, a.finishedAt)),
      h('td', null, h('span', { class: `badge r-${cls(a.result)}` }, a.result)),
      h('td', null, a.message || '')));
    if (d.result === 'pending' && d.nextAttemptAt) {
      rows.push(h('tr', null, h('td', { colspan: 7 }, nextItem('span', { class: 'next-inline' }, d))));
    }
    if (!rows.length) rows.push(h('tr', { class: 'empty' }, h('td', { colspan: 7 }, 'No attempt yet.')));
    const where = d.webhook ? `${d.webhook} (${d.url})` : d.url;
    const head = ['#', 'Scheduled', 'Started', 'Status or error', 'Latency', 'Result', 'Message'];
    return h('section', { class: 'detail-delivery' },
      h('h3', null, 'To ', h('span', { class: 'mono' }, where), ' ', h('span', { class: `badge r-${cls(d.result)}` }, d.result)),
      h('div', { class: 'table-wrap' }, h('table', { class: 'attempts' },
        h('caption', null, 'Every attempt of this delivery (times in UTC)'),
        h('thead', null, h('tr', null, head.map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, rows))));
  }

  function renderDetail(ev) {
    const key = JSON.stringify(ev);
    if (key === state.lastDetail) return;
    state.lastDetail = key;
    byId('detail-id').textContent = ev.eventId;
    const parts = [h('dl', { class: 'detail-meta' },
      pair('Type', ev.eventType),
      pair('Created', fmtClock(ev.createdAt) + ' UTC'),
      pair('Result', h('span', { class: `badge r-${cls(ev.result)}` }, ev.result)))];
    for (const d of ev.deliveries || []) parts.push(deliverySection(d));
    if (ev.event !== undefined) {
      let text = JSON.stringify(ev.event, null, 2);
      if (text.length > BODY_SHOWN) text = text.slice(0, BODY_SHOWN) + '\n… (cut: GET /v1/events/' + ev.eventId + ' has all of it)';
      parts.push(h('h3', null, 'Body sent'), h('pre', { class: 'body' }, text));
    }
    byId('detail-body').replaceChildren(...parts);
  }

  async function refreshDetail() {
    const id = state.selected;
    if (!id) return;
    let ev;
    try {
      ev = await getJSON('/v1/events/' + encodeURIComponent(id));
    } catch (err) {
      if (err.status !== 404) throw err;
      state.lastDetail = '';
      byId('detail-body').replaceChildren(h('p', { class: 'muted' }, err.message));
      return;
    }
    if (id === state.selected) renderDetail(ev);
  }

  function select(id) {
    state.selected = id;
    state.lastDetail = '';
    state.lastEvents = '';
    byId('detail-id').textContent = id;
    byId('detail-body').replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    const detail = byId('detail');
    detail.hidden = false;
    for (const tr of document.querySelectorAll('#events-body tr')) tr.classList.toggle('selected', tr.getAttribute('data-event-id') === id);
    detail.scrollIntoView({ block: 'nearest' });
    refresh();
  }

  function closeDetail() {
    state.selected = '';
    state.lastEvents = '';
    byId('detail').hidden = true;
    byId('detail-body').replaceChildren();
    for (const tr of document.querySelectorAll('#events-body tr.selected')) tr.classList.remove('selected');
  }

  // Countdowns tick every second between refreshes.
  function tickCountdowns() {
    const now = Date.now();
    for (const e of document.querySelectorAll('[data-next-at]')) {
      e.textContent = fmtCountdown(Number(e.getAttribute('data-next')), e.getAttribute('data-next-at'), now);
    }
  }

  // Connection state

  function setOnline() {
    state.lastUpdate = fmtClock(new Date().toISOString());
    byId('live').classList.remove('offline');
    byId('live-text').textContent = `Updated ${state.lastUpdate} UTC`;
    if (state.lastBanner) {
      state.lastBanner = '';
      byId('banner').hidden = true;
      byId('banner').replaceChildren();
    }
  }

  function setOffline(err) {
    let content;
    if (err.status === 401) {
      content = [h('strong', null, 'Signed out. '), 'The server no longer accepts this browser\'s session (was it restarted?). ',
        h('a', { href: '/' }, 'Sign in again'), '.'];
    } else if (err.status) {
      content = [h('strong', null, `The server answered ${err.status}. `), err.message, ' Retrying every second.'];
    } else {
      const since = state.lastUpdate ? `the page shows the state as of ${state.lastUpdate} UTC` : 'the page shows the state at load';
      content = [h('strong', null, 'Cannot reach the clickcheck server'), ` at ${location.origin} (${describe(err)}). `,
        `Is clickcheck serve still running? Retrying every second; ${since}.`];
    }
    byId('live').classList.add('offline');
    byId('live-text').textContent = 'Offline';
    const banner = byId('banner');
    const text = content.map((c) => (c instanceof Node ? c.textContent : c)).join('');
    if (text === state.lastBanner) return; // unchanged: not announced again
    state.lastBanner = text;
    banner.replaceChildren(...content);
    banner.hidden = false;
  }

  // refresh reads the state once and schedules the next read; a call while one runs
  // makes another right after it.
  async function refresh() {
    if (state.running) {
      state.again = true;
      return;
    }
    state.running = true;
    clearTimeout(state.timer);
    try {
      const q = new URLSearchParams({ limit: String(EVENTS_SHOWN), bodies: 'false' });
      if (state.filter) q.set('result', state.filter);
      const [stats, events, hooks] = await Promise.all([getJSON('/v1/stats'), getJSON('/v1/events?' + q), getJSON('/v1/webhooks')]);
      renderStats(stats);
      renderEvents(events.events || []);
      renderHooks(hooks.webhooks || []);
      await refreshDetail();
      tickCountdowns();
      setOnline();
    } catch (err) {
      setOffline(err);
    } finally {
      state.running = false;
      if (state.again) {
        state.again = false;
        refresh();
      } else {
        state.timer = setTimeout(refresh, REFRESH_MS);
      }
    }
  }

  // The send form posts POST /v1/clicks; the server checks every field and says what is
  // wrong, so its error is what the form shows.
  async function send(e) {
    e.preventDefault();
    const form = e.currentTarget;
    const button = byId('send');
    const out = byId('send-result');
    const fields = [];
    const count = form.elements.count.value.trim();
    if (count) fields.push('"count":' + (/^-?\d+$/.test(count) ? count : JSON.stringify(count)));
    const seed = form.elements.seed.value.trim();
    if (seed) fields.push('"seed":' + (/^\d+$/.test(seed) ? seed : JSON.stringify(seed))); // digits raw: a seed can exceed 2^53
    const to = form.elements.to.value.trim();
    if (to) fields.push('"to":' + JSON.stringify(to));
    const auth = form.elements.auth.value;
    if (auth) fields.push('"auth":' + JSON.stringify(auth));
    button.disabled = true;
    out.replaceChildren(h('p', { class: 'muted' }, 'Sending…'));
    try {
      const res = await request('/v1/clicks', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{' + fields.join(',') + '}',
      });
      const text = await res.text();
      let doc = null;
      try { doc = JSON.parse(text); } catch (_) { /* shown as text below */ }
      if (res.status === 202 && doc && Array.isArray(doc.eventIds)) {
        const n = doc.eventIds.length;
        const seedText = (/"seed":\s*(\d+)/.exec(text) || [])[1]; // from the text: JSON.parse rounds big numbers
        out.replaceChildren(
          h('p', { class: 'ok' }, `Accepted ${n} click${n === 1 ? '' : 's'}, ${doc.deliveries} deliver${doc.deliveries === 1 ? 'y' : 'ies'}.`),
          seedText ? h('p', { class: 'help' }, `Seed ${seedText}: send it again for the same clicks.`) : null,
          h('ul', { class: 'sent-ids', 'aria-label': 'Event ids of the clicks sent' },
            doc.eventIds.map((id) => h('li', null, h('button', { type: 'button', class: 'link mono', 'data-select': id, 'data-event-id': id }, id)))));
      } else {
        let msg = `${res.status} ${res.statusText}: ${text.slice(0, 300)}`;
        if (doc && doc.error) msg = doc.field ? `${doc.field}: ${doc.error}` : doc.error;
        out.replaceChildren(h('p', { class: 'error' }, `Not sent (${res.status}). ${msg}`));
      }
    } catch (err) {
      out.replaceChildren(h('p', { class: 'error' }, `No answer from the server (${describe(err)}): the clicks may not have been sent; check the events list.`));
    } finally {
      button.disabled = false;
      refresh();
    }
  }

  document.addEventListener('click', (e) => {
    const b = e.target instanceof Element ? e.target.closest('[data-select]') : null;
    if (b) select(b.getAttribute('data-select'));
  });
  byId('detail-close').addEventListener('click', closeDetail);
  byId('filter').addEventListener('change', (e) => {
    state.filter = e.target.value;
    state.lastEvents = '';
    refresh();
  });
  byId('send-form').addEventListener('submit', send);
  setInterval(tickCountdowns, 1000);
  tickCountdowns();
  refresh();
})();
