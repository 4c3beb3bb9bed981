// smsagent dashboard: plain JavaScript over the HTTP API (same origin, session cookie).
'use strict';

const T = {
  en: {
    skip: 'Skip to content', pages: 'Pages', 'nav.overview': 'Overview', 'nav.send': 'Send', 'nav.campaigns': 'Campaigns',
    'nav.replies': 'Replies', 'nav.optouts': 'Opt-outs', 'nav.credits': 'Credits', queue: 'Queue', 'credits.left': 'Credits left',
    'optouts.count': 'Opted out', sent: 'Sent', modems: 'Modems', modem: 'Modem', state: 'State', operator: 'Operator', signal: 'Signal',
    throttle: 'Throttle', today: 'Today', 'credits.perday': 'Credits spent per day', to: 'Recipient', text: 'Message', class: 'Class',
    'class.default': 'Installation default', 'class.notification': 'Notification', 'class.marketing': 'Marketing (STOP footer)',
    'send.button': 'Send', preview: 'Preview', 'campaign.name': 'Name',
    'campaign.file': 'CSV file (a phone column, other columns usable as {placeholders})', 'campaign.template': 'Template',
    'campaign.queue': 'Queue the campaign', 'campaign.progress': 'Progress', 'review.title': 'To review',
    'review.help': 'These replies mention STOP without matching the rule: decide whether the person asked to opt out.',
    'inbox.title': 'Inbox', received: 'Received', from: 'From', result: 'Result', search: 'Search', 'optouts.add': 'Add a number',
    reason: 'Reason', add: 'Add', export: 'Export CSV', number: 'Number', since: 'Since', keyword: 'Keyword', source: 'Source',
    'credits.spent': 'spent', 'group.by': 'Group by', 'by.day': 'Day', 'by.class': 'Class', 'by.modem': 'Modem', key: 'Key',
    messages: 'Messages', segments: 'Segments', credits: 'Credits', topup: 'Top up (credits bought)', note: 'Note',
    login: 'Not signed in: open the address printed by `smsagent token create NAME --login-url` (or by `smsagent demo --serve`).',
    live: 'Live', offline: 'Reconnecting…', queued: 'Queued', 'msg.state': 'State', optout: 'Opt out', notoptout: 'Not an opt-out',
    none: 'Nothing to review.', remove: 'Remove', 'remove.reason': 'Reason for removing', encoding: 'encoding', footer: 'footer',
    verdict: 'verdict', recipients: 'recipients', invalid: 'invalid', duplicates: 'duplicates', optedout: 'opted out', held: 'held',
    eta: 'estimated time', failed: 'failed', suppressed: 'suppressed', delivered: 'delivered', 'no.campaign': 'No campaign yet.',
    'pick.file': 'Choose a CSV file and a template first.', added: 'Added', removed: 'Removed', balance: 'Balance',
    'sent.today': 'sent today', 'per.sms': 'between SMS', nodata: 'No data yet.', logout: 'Sign out',
    'logged.out': 'Signed out. Open a login address again to come back.',
  },
  fr: {
    skip: 'Aller au contenu', pages: 'Pages', 'nav.overview': 'Vue d’ensemble', 'nav.send': 'Envoyer', 'nav.campaigns': 'Campagnes',
    'nav.replies': 'Réponses', 'nav.optouts': 'Désinscrits', 'nav.credits': 'Crédits', queue: 'File d’attente', 'credits.left': 'Crédits restants',
    'optouts.count': 'Désinscrits', sent: 'Envoyés', modems: 'Modems', modem: 'Modem', state: 'État', operator: 'Opérateur', signal: 'Signal',
    throttle: 'Cadence', today: 'Aujourd’hui', 'credits.perday': 'Crédits dépensés par jour', to: 'Destinataire', text: 'Message', class: 'Type',
    'class.default': 'Type par défaut', 'class.notification': 'Notification', 'class.marketing': 'Marketing (mention STOP)',
    'send.button': 'Envoyer', preview: 'Aperçu', 'campaign.name': 'Nom',
    'campaign.file': 'Fichier CSV (une colonne téléphone, les autres utilisables en {champs})', 'campaign.template': 'Modèle',
    'campaign.queue': 'Lancer la campagne', 'campaign.progress': 'Avancement', 'review.title': 'À examiner',
    'review.help': 'Ces réponses mentionnent STOP sans suivre la règle : décidez si la personne a demandé à se désinscrire.',
    'inbox.title': 'Messages reçus', received: 'Reçu', from: 'De', result: 'Résultat', search: 'Rechercher', 'optouts.add': 'Ajouter un numéro',
    reason: 'Motif', add: 'Ajouter', export: 'Exporter en CSV', number: 'Numéro', since: 'Depuis', keyword: 'Mot-clé', source: 'Origine',
    'credits.spent': 'dépensés', 'group.by': 'Regrouper par', 'by.day': 'Jour', 'by.class': 'Type', 'by.modem': 'Modem', key: 'Clé',
    messages: 'Messages', segments: 'Segments', credits: 'Crédits', topup: 'Recharge (crédits achetés)', note: 'Note',
    login: 'Non connecté : ouvrez l’adresse affichée par `smsagent token create NOM --login-url` (ou par `smsagent demo --serve`).',
    live: 'En direct', offline: 'Reconnexion…', queued: 'En file', 'msg.state': 'État', optout: 'Désinscrire', notoptout: 'Pas une désinscription',
    none: 'Rien à examiner.', remove: 'Retirer', 'remove.reason': 'Motif du retrait', encoding: 'codage', footer: 'mention',
    verdict: 'verdict', recipients: 'destinataires', invalid: 'invalides', duplicates: 'doublons', optedout: 'désinscrits', held: 'différés',
    eta: 'durée estimée', failed: 'échecs', suppressed: 'supprimés', delivered: 'remis', 'no.campaign': 'Aucune campagne.',
    'pick.file': 'Choisissez d’abord un fichier CSV et un modèle.', added: 'Ajouté', removed: 'Retiré', balance: 'Solde',
    'sent.today': 'envoyés aujourd’hui', 'per.sms': 'entre deux SMS', nodata: 'Pas encore de données.', logout: 'Se déconnecter',
    'logged.out': 'Déconnecté. Rouvrez une adresse de connexion pour revenir.',
  },
};
let lang = localStorage.getItem('smsagent.lang') || ((navigator.language || 'en').toLowerCase().startsWith('fr') ? 'fr' : 'en');
const t = (key) => (T[lang] && T[lang][key]) || T.en[key] || key;
const $ = (sel) => document.querySelector(sel);

function applyLanguage() {
  document.documentElement.lang = lang;
  document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll('[data-i18n-aria]').forEach((el) => el.setAttribute('aria-label', t(el.dataset.i18nAria)));
  const button = $('#lang');
  button.textContent = lang === 'fr' ? 'EN' : 'FR';
  button.setAttribute('aria-label', lang === 'fr' ? 'English' : 'Français');
}

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  return node;
}
function row(cells) { const tr = el('tr'); cells.forEach((c) => { const td = el('td'); if (c instanceof Node) td.append(c); else td.textContent = c ?? ''; tr.append(td); }); return tr; }
function fill(tbody, rows) { tbody.replaceChildren(...rows); }
function when(iso) { try { return new Date(iso).toLocaleString(lang); } catch { return iso; } }
function duration(seconds) {
  if (!seconds) return '0 s';
  const d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600), m = Math.floor(seconds % 3600 / 60);
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  return m ? `${m} min ${seconds % 60} s` : `${seconds} s`;
}
// An estimate from the API: when it ends (duration), or why it cannot (eta_never).
function etaText(o) { return o.eta_never ? o.eta_never : duration(o.eta_seconds); }

async function api(method, path, body, extraHeaders) {
  const headers = { 'X-Smsagent-Request': '1', ...(extraHeaders || {}) };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await response.json().catch(() => ({}));
  if (response.status === 401) showBanner(t('login'));
  if (!response.ok) { const error = new Error(data.detail || response.statusText); error.problem = data; throw error; }
  return data;
}
function showBanner(text) { const b = $('#banner'); b.textContent = text; b.hidden = false; }
function report(target, error) { target.textContent = error.problem && error.problem.field ? `${error.problem.field}: ${error.message}` : error.message; target.className = 'verdict-invalid'; }

// Pages
const loaders = {};
function showPage() {
  const page = (location.hash || '#overview').slice(1);
  document.querySelectorAll('[data-page-section]').forEach((s) => { s.hidden = s.dataset.pageSection !== page; });
  document.querySelectorAll('nav a').forEach((a) => { if (a.dataset.page === page) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current'); });
  if (loaders[page]) loaders[page]().catch(() => {});
}

// Overview
loaders.overview = async () => {
  const [status, credits] = await Promise.all([api('GET', '/api/v1/status'), api('GET', '/api/v1/credits?by=day')]);
  $('#ov-queue').textContent = status.queue.queued + status.queue.sending;
  $('#ov-credits').textContent = status.credits.balance;
  $('#ov-optouts').textContent = status.optouts;
  $('#ov-sent').textContent = status.queue.sent;
  fill($('#ov-modems tbody'), status.modems.map((m) => row([
    m.id, m.state, m.operator || '–', m.signal_dbm !== undefined ? `${m.signal_dbm} dBm` : '–',
    `${m.throttle.min_interval_ms} ms ${t('per.sms')}`, `${m.throttle.sent_today}${m.throttle.daily_cap ? ' / ' + m.throttle.daily_cap : ''}`,
  ])));
  drawChart($('#ov-chart'), (credits.groups || []).slice(-14));
};

function drawChart(target, groups) {
  if (!groups.length) { target.replaceChildren(el('p', t('nodata'), { class: 'muted' })); return; }
  const ns = 'http://www.w3.org/2000/svg';
  const width = 400, height = 140, bar = width / groups.length;
  const max = Math.max(1, ...groups.map((g) => g.credits));
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height + 20}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', groups.map((g) => `${g.key}: ${g.credits}`).join(', '));
  groups.forEach((g, i) => {
    const h = Math.round((g.credits / max) * height);
    const rect = document.createElementNS(ns, 'rect');
    rect.setAttribute('x', i * bar + 2); rect.setAttribute('y', height - h); rect.setAttribute('width', Math.max(1, bar - 4)); rect.setAttribute('height', h);
    const title = document.createElementNS(ns, 'title'); title.textContent = `${g.key}: ${g.credits}`; rect.append(title);
    const label = document.createElementNS(ns, 'text');
    label.setAttribute('x', i * bar + 2); label.setAttribute('y', height + 14); label.textContent = g.key.slice(5);
    svg.append(rect, label);
  });
  target.replaceChildren(svg);
}

// Send, with a live preview before anything is spent
let previewTimer;
function previewNode(p) {
  const box = el('div');
  p.recipients.forEach((r) => {
    box.append(el('p', `${r.number || r.raw} — ${t('verdict')}: ${r.verdict}${r.reason ? ' (' + r.reason + ')' : ''}`, { class: 'verdict-' + r.verdict }));
    if (r.text) box.append(el('div', r.text, { class: 'sms' }));
    box.append(el('p', `${t('encoding')} ${r.encoding} · ${r.segments} ${t('segments').toLowerCase()} · ${r.credits} ${t('credits').toLowerCase()}${r.footer_added ? ' · ' + t('footer') + ' ' + (r.footer_locale || '') : ''}`, { class: 'muted' }));
  });
  return box;
}
function schedulePreview() {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(async () => {
    const to = $('#send-to').value.trim(), text = $('#send-text').value;
    if (!to || !text.trim()) { $('#send-preview').replaceChildren(); return; }
    const body = { to, text };
    if ($('#send-class').value) body.class = $('#send-class').value;
    try { $('#send-preview').replaceChildren(previewNode(await api('POST', '/api/v1/previews', body))); } catch (e) { report($('#send-preview'), e); }
  }, 250);
}
async function send(event) {
  event.preventDefault();
  const result = $('#send-result');
  const body = { to: $('#send-to').value.trim(), text: $('#send-text').value };
  if ($('#send-class').value) body.class = $('#send-class').value;
  try {
    const key = (crypto.randomUUID && crypto.randomUUID()) || String(Date.now()) + Math.random();
    const answer = await api('POST', '/api/v1/messages', body, { 'Idempotency-Key': key });
    result.className = 'verdict-send';
    result.dataset.id = answer.id;
    result.textContent = `${t('queued')}: ${answer.id} — ${t('msg.state')}: ${answer.state}`;
  } catch (e) { report(result, e); }
}
async function refreshSent() {
  const result = $('#send-result');
  if (!result.dataset.id) return;
  const m = await api('GET', '/api/v1/messages/' + encodeURIComponent(result.dataset.id));
  result.dataset.state = m.state;
  result.textContent = `${m.id} — ${t('msg.state')}: ${m.state}${m.modem ? ' (' + m.modem + ')' : ''}${m.reason ? ' — ' + m.reason : ''}`;
}

// Campaigns
async function campaignBody() {
  const file = $('#campaign-file').files[0];
  const template = $('#campaign-template').value;
  if (!file || !template.trim()) throw new Error(t('pick.file'));
  return { template, csv: await file.text(), class: $('#campaign-class').value };
}
async function previewCampaign() {
  const target = $('#campaign-preview');
  try {
    const p = await api('POST', '/api/v1/previews', await campaignBody());
    const s = p.summary;
    const table = el('table');
    const head = el('tr'); ['#', t('number'), t('verdict'), t('segments'), t('credits'), t('text')].forEach((h) => head.append(el('th', h)));
    table.append(el('thead')); table.tHead.append(head);
    const body = el('tbody');
    p.recipients.forEach((r) => body.append(row([r.line ?? '', r.number || r.raw, el('span', r.verdict + (r.reason ? ' — ' + r.reason : ''), { class: 'verdict-' + r.verdict }), r.segments, r.credits, r.text])));
    table.append(body);
    const wrap = el('div', null, { class: 'table-wrap' }); wrap.append(table);
    target.replaceChildren(
      el('p', `${s.recipients} ${t('recipients')}: ${s.send} → ${t('sent').toLowerCase()}, ${s.held} ${t('held')}, ${s.opted_out} ${t('optedout')}, ${s.invalid} ${t('invalid')}, ${s.duplicates} ${t('duplicates')} · ${s.credits} ${t('credits').toLowerCase()} · ${t('eta')} ${etaText(s)}`, { id: 'campaign-summary' }),
      wrap);
  } catch (e) { report(target, e); }
}
async function queueCampaign(event) {
  event.preventDefault();
  const result = $('#campaign-result');
  try {
    const body = await campaignBody();
    body.name = $('#campaign-name').value.trim();
    const answer = await api('POST', '/api/v1/campaigns', body);
    result.className = 'verdict-send';
    result.textContent = `${answer.name}: ${answer.queued} ${t('queued').toLowerCase()}, ${answer.invalid} ${t('invalid')} · ${t('eta')} ${etaText(answer)}`;
    loaders.campaigns();
  } catch (e) { report(result, e); }
}
loaders.campaigns = async () => {
  const { campaigns } = await api('GET', '/api/v1/campaigns');
  const list = $('#campaign-list');
  if (!campaigns.length) { list.replaceChildren(el('p', t('no.campaign'), { class: 'muted' })); return; }
  list.replaceChildren(...campaigns.map((c) => {
    const box = el('div', null, { class: 'card', 'data-campaign': c.name });
    const label = `${c.name}`;
    box.append(el('strong', label));
    const bar = el('progress', null, { max: String(Math.max(1, c.total)), value: String(c.done), 'aria-label': label });
    box.append(bar);
    box.append(el('p', `${c.sent} ${t('sent').toLowerCase()}${c.delivered !== undefined ? ', ' + c.delivered + ' ' + t('delivered') : ''}, ${c.failed} ${t('failed')}, ${c.suppressed} ${t('suppressed')}, ${c.queued + c.sending} ${t('queued').toLowerCase()}, ${c.held} ${t('held')} / ${c.total}${c.eta_seconds || c.eta_never ? ' · ' + t('eta') + ' ' + etaText(c) : ''}`, { class: 'campaign-counts' }));
    return box;
  }));
};

// Replies
loaders.replies = async () => {
  const [review, inbox] = await Promise.all([api('GET', '/api/v1/inbox?review=true'), api('GET', '/api/v1/inbox?limit=100')]);
  const list = $('#review-list');
  if (!review.messages.length) list.replaceChildren(el('li', t('none'), { class: 'muted' }));
  else list.replaceChildren(...review.messages.map((m) => {
    const li = el('li', null, { 'data-id': m.id });
    li.append(el('p', `${when(m.received_at)} — ${m.from}`), el('div', m.text, { class: 'sms' }));
    const buttons = el('div', null, { class: 'buttons' });
    const yes = el('button', t('optout'), { type: 'button', class: 'danger', 'data-action': 'optout' });
    const no = el('button', t('notoptout'), { type: 'button', class: 'secondary', 'data-action': 'none' });
    [yes, no].forEach((b) => b.addEventListener('click', async () => {
      try { await api('POST', `/api/v1/inbox/${encodeURIComponent(m.id)}/resolve`, { as: b.dataset.action }); loaders.replies(); } catch (e) { report(li, e); }
    }));
    buttons.append(yes, no); li.append(buttons);
    return li;
  }));
  fill($('#inbox-table tbody'), inbox.messages.map((m) => row([when(m.received_at), m.from, m.text, m.decision ? `${m.keyword_result} → ${m.decision}` : m.keyword_result])));
};

// Opt-outs
loaders.optouts = async () => {
  const q = $('#optout-q').value.trim();
  const { optouts } = await api('GET', '/api/v1/optouts' + (q ? '?q=' + encodeURIComponent(q) : ''));
  fill($('#optout-table tbody'), optouts.map((o) => {
    const remove = el('button', t('remove'), { type: 'button', class: 'secondary' });
    remove.addEventListener('click', async () => {
      const reason = prompt(t('remove.reason'));
      if (!reason) return;
      try { await api('DELETE', `/api/v1/optouts/${encodeURIComponent(o.number)}?reason=${encodeURIComponent(reason)}`); $('#optout-result').textContent = `${t('removed')}: ${o.number}`; loaders.optouts(); } catch (e) { report($('#optout-result'), e); }
    });
    return row([o.number, when(o.recorded_at), o.keyword || '–', o.source, remove]);
  }));
};
async function addOptOut(event) {
  event.preventDefault();
  try {
    const o = await api('POST', '/api/v1/optouts', { number: $('#optout-number').value.trim(), reason: $('#optout-reason').value.trim() });
    $('#optout-result').className = 'verdict-send'; $('#optout-result').textContent = `${t('added')}: ${o.number}`;
    loaders.optouts();
  } catch (e) { report($('#optout-result'), e); }
}

// Credits
loaders.credits = async () => {
  const c = await api('GET', '/api/v1/credits?by=' + $('#cr-by').value);
  $('#cr-balance').textContent = c.balance; $('#cr-spent').textContent = c.spent;
  fill($('#cr-table tbody'), (c.groups || []).map((g) => row([g.key, g.messages, g.segments, g.credits])));
};
async function topUp(event) {
  event.preventDefault();
  try {
    const answer = await api('POST', '/api/v1/credits/topups', { credits: Number($('#topup-credits').value), note: $('#topup-note').value });
    $('#topup-result').className = 'verdict-send'; $('#topup-result').textContent = `${t('balance')}: ${answer.balance}`;
    loaders.credits();
  } catch (e) { report($('#topup-result'), e); }
}

// Live updates: one EventSource; every event refreshes what the visible page shows.
let refreshTimer;
let eventSource;
function live() {
  const source = new EventSource('/api/v1/events');
  eventSource = source;
  source.onopen = () => { $('#live').textContent = '● ' + t('live'); };
  source.onerror = () => { $('#live').textContent = t('offline'); };
  const refresh = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => { showPage(); refreshSent().catch(() => {}); }, 150);
  };
  ['message.queued', 'message.held', 'message.sending', 'message.sent', 'message.failed', 'message.suppressed', 'inbound.received',
   'optout.recorded', 'optin.recorded', 'modem.state', 'credits.low', 'feed.reset'].forEach((type) => source.addEventListener(type, refresh));
}

document.addEventListener('DOMContentLoaded', () => {
  applyLanguage();
  $('#lang').addEventListener('click', () => { lang = lang === 'fr' ? 'en' : 'fr'; localStorage.setItem('smsagent.lang', lang); applyLanguage(); showPage(); });
  window.addEventListener('hashchange', showPage);
  $('#logout').addEventListener('click', async () => {
    await fetch('/logout', { method: 'POST', headers: { 'X-Smsagent-Request': '1' }, credentials: 'same-origin' });
    if (eventSource) eventSource.close();
    $('#main').hidden = true;
    showBanner(t('logged.out'));
  });
  ['#send-to', '#send-text', '#send-class'].forEach((s) => $(s).addEventListener('input', schedulePreview));
  $('#send-form').addEventListener('submit', send);
  $('#campaign-preview-button').addEventListener('click', previewCampaign);
  $('#campaign-form').addEventListener('submit', queueCampaign);
  $('#optout-search').addEventListener('submit', (e) => { e.preventDefault(); loaders.optouts(); });
  $('#optout-q').addEventListener('input', () => loaders.optouts().catch(() => {}));
  $('#optout-add').addEventListener('submit', addOptOut);
  $('#cr-by').addEventListener('change', () => loaders.credits());
  $('#topup-form').addEventListener('submit', topUp);
  showPage();
  live();
});
