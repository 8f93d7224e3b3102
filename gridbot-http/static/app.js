// The dashboard controller: login, balance bar, bots (cards and the grid
// table, updated in place), strategy tabs, the start dialog (which asks the
// server whether a start can pass before Confirm is enabled), stop / delete /
// restart / edit, the risk settings, the exchange's orphans, live updates
// (SSE, else polling every 5 s) and the language switch (everything is
// rendered again, names and messages come back from the server in the new
// language).
import { api, login, logout, tokens, streamUrl } from './api.js';
import { t, applyI18n, toggleLang, onLangChange } from './i18n.js';
import { h, templateCard, recommendationCard, botCard, updateBotCard, relabelBotCard, gridRow, updateGridRow, renderDetail } from './views.js';
import { setSteps, num, money, usd, signedUsd, pct, pnlClass, price, qty } from './fmt.js';
import { bindManualForm } from './grid.js';

const $ = id => document.getElementById(id);
const state = {
  summary: null, bots: new Map(), cards: new Map(), rows: new Map(), symbols: [], templates: [], templatesKey: '',
  analysis: null, pending: null, detailId: null, es: null, poll: null, confirm: null, editId: null, orphanTimer: null,
};

function toast(msg) {
  const el = $('toast');
  el.textContent = msg; el.hidden = false;
  clearTimeout(toast.timer); toast.timer = setTimeout(() => { el.hidden = true; }, 4000);
}

// ---- login ---------------------------------------------------------------
function showLogin() {
  stopLive();
  $('app-view').hidden = true; $('logout').hidden = true; $('login-view').hidden = false;
  $('login-username').focus();
}

async function onLogin(ev) {
  ev.preventDefault();
  const err = $('login-error');
  err.hidden = true;
  try {
    await login($('login-username').value.trim(), $('login-password').value);
    $('login-password').value = '';
    await showApp();
  } catch (e) {
    err.textContent = e.message; err.hidden = false;
  }
}

// ---- balance bar ------------------------------------------------------------
function renderBalance(s) {
  const b = s.balance;
  $('balance-used').textContent = money(b.used);
  $('balance-total').textContent = money(b.total);
  $('balance-pct').textContent = t('bal.inuse', { pct: num(b.used_pct).toFixed(2) + '%' });
  $('balance-available').textContent = money(b.available);
  $('balance-active-bots').textContent = s.active_bot_count;
  $('balance-max-bots').textContent = s.max_bot_count;
  const pnl = $('balance-total-pnl');
  pnl.textContent = (num(b.total_pnl) > 0 ? '+' : '') + money(b.total_pnl); pnl.className = 'pnl ' + pnlClass(b.total_pnl);
  pnl.dataset.value = b.total_pnl;
  const p = Math.min(100, Math.max(0, num(b.used_pct)));
  $('balance-fill').style.width = p + '%';
  const bar = $('balance-progress');
  bar.setAttribute('aria-valuenow', p.toFixed(0));
  bar.classList.toggle('high', p >= 80);
}

// ---- bots: cards and the grid table, updated in place -------------------------
const botHandlers = {
  onOpen: id => openDetail(id),
  onStop: id => askConfirm('stop', id),
  onDelete: id => askConfirm('delete', id),
  onStart: id => restartBot(id),
  onEdit: id => openEdit(id),
};

function allBots() {
  const s = state.summary;
  return s ? s.bots.concat(s.inactive_bots || []) : [];
}

/** Puts `wanted` nodes into `list` in order, moving a node only when it is out of place (a move would take its focus). */
function placeInOrder(list, wanted) {
  let i = 0;
  for (const node of wanted) {
    if (list.children[i] !== node) list.insertBefore(node, list.children[i] || null);
    i++;
  }
  while (list.children.length > wanted.length) list.lastChild.remove();
}

function renderBots() {
  const filter = $('bots-filter').value;
  const bots = allBots().sort((a, b) => b.id - a.id);
  state.bots = new Map(bots.map(b => [b.id, b]));
  const shown = bots.filter(b => filter === 'all' || !['stopped', 'created'].includes(b.state));
  const list = $('bots-list');
  for (const id of [...state.cards.keys()]) if (!shown.some(b => b.id === id)) state.cards.delete(id);
  const nodes = shown.map(b => {
    let card = state.cards.get(b.id);
    if (card) updateBotCard(card, b, botHandlers); else { card = botCard(b, botHandlers); state.cards.set(b.id, card); }
    return card;
  });
  if (!nodes.length) {
    if (!list.querySelector('[data-testid=bots-empty]')) list.replaceChildren(h('p', { class: 'muted', 'data-testid': 'bots-empty' }, t('bots.empty')));
  } else {
    const empty = list.querySelector('[data-testid=bots-empty]'); if (empty) empty.remove();
    placeInOrder(list, nodes);
  }
  // The owner's "My Grid Bots" table.
  const grids = bots.filter(b => b.kind === 'grid');
  for (const id of [...state.rows.keys()]) if (!grids.some(b => b.id === id)) state.rows.delete(id);
  const rows = grids.map(g => {
    let row = state.rows.get(g.id);
    if (row) updateGridRow(row, g, botHandlers); else { row = gridRow(g, botHandlers); state.rows.set(g.id, row); }
    return row;
  });
  placeInOrder(document.querySelector('#grids-table tbody'), rows);
  $('grids-empty').hidden = grids.length > 0;
}

function applySummary(s) {
  state.summary = s;
  renderBalance(s);
  renderBots();
  const key = s.limits.active_bot_count + ':' + s.limits.busy_symbols.join(',');
  if (key !== state.templatesKey) { state.templatesKey = key; loadTemplates(); }
  if (state.detailId !== null) loadDetail(state.detailId);
}

async function loadSummary() {
  try { applySummary(await api('GET', '/multibot/summary')); } catch (e) { if (e.status === 401) showLogin(); }
}

// ---- live updates -----------------------------------------------------------
function setLive(mode) { $('live-mode').textContent = t('live.' + mode); $('live-mode').dataset.mode = mode; }

function startPolling() {
  if (state.poll) return;
  setLive('poll');
  state.poll = setInterval(loadSummary, 5000);
}

function stopLive() {
  if (state.es) { state.es.close(); state.es = null; }
  if (state.poll) { clearInterval(state.poll); state.poll = null; }
  if (state.orphanTimer) { clearInterval(state.orphanTimer); state.orphanTimer = null; }
}

function connectStream() {
  if (state.es) { state.es.close(); state.es = null; }
  const url = streamUrl();
  if (!url || typeof EventSource === 'undefined') { startPolling(); return; }
  const es = new EventSource(url);
  state.es = es;
  es.addEventListener('summary', ev => {
    if (state.poll) { clearInterval(state.poll); state.poll = null; }
    setLive('sse');
    try { applySummary(JSON.parse(ev.data)); } catch { /* ignore a malformed frame */ }
  });
  es.onerror = () => {
    es.close();
    if (state.es === es) state.es = null;
    startPolling();
    setTimeout(async () => { if (!state.es && tokens()) { await loadSummary(); if (!state.es) connectStream(); } }, 15000);
  };
}

// ---- tabs ---------------------------------------------------------------------
function selectTab(tab) {
  for (const tb of document.querySelectorAll('[role=tab]')) {
    const on = tb === tab;
    tb.setAttribute('aria-selected', String(on)); tb.tabIndex = on ? 0 : -1;
    $(tb.getAttribute('aria-controls')).hidden = !on;
  }
  tab.focus();
}

function bindTabs() {
  const tabs = [...document.querySelectorAll('[role=tab]')];
  for (const tb of tabs) {
    tb.addEventListener('click', () => selectTab(tb));
    tb.addEventListener('keydown', ev => {
      const i = tabs.indexOf(tb);
      if (ev.key === 'ArrowRight') selectTab(tabs[(i + 1) % tabs.length]);
      else if (ev.key === 'ArrowLeft') selectTab(tabs[(i + tabs.length - 1) % tabs.length]);
      else return;
      ev.preventDefault();
    });
  }
}

// ---- strategies -------------------------------------------------------------------
async function loadTemplates() {
  try { state.templates = await api('GET', '/multibot/templates?with_checks=true'); } catch { return; }
  renderTemplates();
}

function renderTemplates() {
  $('templates-list').replaceChildren(...state.templates.map(tpl => templateCard(tpl, x =>
    openStart({ kind: 'template', template: x, symbol: x.symbol, label: `${x.name} · ${x.symbol}`, amount: x.min_investment_exact }))));
}

async function loadSymbols() {
  state.symbols = await api('GET', '/market/symbols');
  setSteps(state.symbols);
  for (const id of ['ai-symbol', 'm-symbol']) {
    $(id).replaceChildren(...state.symbols.map(s => h('option', { value: s.symbol }, s.symbol)));
    if (state.symbols.some(s => s.symbol === 'BTCUSDT')) $(id).value = 'BTCUSDT';
  }
  fillManualDefaults();
}

function fillManualDefaults() {
  const sym = state.symbols.find(s => s.symbol === $('m-symbol').value);
  if (!sym || !sym.price) return;
  const p = num(sym.price);
  $('m-lower').value = price(p * 0.9, sym.symbol).replace(/,/g, '');
  $('m-upper').value = price(p * 1.1, sym.symbol).replace(/,/g, '');
}

async function analyze(ev) {
  if (ev) ev.preventDefault();
  const symbol = $('ai-symbol').value;
  const status = $('ai-status');
  status.textContent = t('ai.loading');
  $('ai-cards').replaceChildren();
  $('ai-analysis').textContent = '';
  try {
    state.analysis = await api('POST', '/grid-bot/analyze', { symbol, timeframe: '1h' });
    renderAnalysis();
  } catch (e) {
    status.textContent = e.message;
  }
}

function renderAnalysis() {
  const r = state.analysis;
  if (!r) return;
  const m = r.market_analysis, symbol = r.symbol;
  $('ai-analysis').textContent = t('ai.trend', { trend: t('trend.' + m.trend), vol: (m.volatility * 100).toFixed(2) + ' %', price: price(m.current_price, symbol) });
  const missing = (r.unavailable || []).map(u => t('ai.nopick', { risk: t('risk.' + u.risk_level), reason: u.reason }));
  $('ai-status').textContent = r.recommendations.length ? missing.join(' ') : [t('ai.none'), ...missing].join(' ');
  $('ai-cards').replaceChildren(...r.recommendations.map((rec, i) => recommendationCard(rec, r.recommended_strategies[i] || {}, symbol, x =>
    openStart({ kind: 'rec', rec: x, symbol, label: `${t('risk.' + x.risk_level)} · ${symbol}`, amount: defaultAmount(x.min_investment) }))));
}

function defaultAmount(min) {
  const avail = state.summary ? num(state.summary.balance.available) : 0;
  const want = Math.max(num(min) * 1.2, 100);
  return String(Math.floor(Math.min(want, avail) * 100) / 100);
}

// ---- start dialog: the server says whether the start can pass --------------------------
let checkTimer = null, checkSeq = 0;

function openStart(pending) {
  state.pending = pending;
  $('start-what').textContent = pending.label;
  $('start-error').hidden = true;
  $('start-mode-amount').checked = true;
  $('start-amount').value = pending.amount || '';
  $('start-confirm').disabled = true;
  $('start-dialog').showModal();
  $('start-amount').focus();
  runCheck();
}

function startQuery() {
  const v = $('start-amount').value.trim();
  if (!v || !(num(v) > 0)) return null;
  return $('start-mode-percent').checked ? 'percent=' + encodeURIComponent(v) : 'amount=' + encodeURIComponent(v);
}

function gridConfigOf(p, amount) {
  if (p.kind === 'rec') {
    const r = p.rec;
    return { symbol: p.symbol, lower: r.lower, upper: r.upper, grids: r.grids, leverage: r.leverage, mode: r.mode, spacing: r.spacing, investment: amount };
  }
  return { ...p.cfg, investment: amount };
}

async function runCheck() {
  const q = startQuery();
  const el = $('start-check');
  const mine = ++checkSeq;
  const p = state.pending;
  $('start-confirm').disabled = true;
  if (!q || !p) { el.textContent = ''; el.dataset.allowed = 'false'; return; }
  el.textContent = t('start.checking'); el.className = 'check'; el.dataset.allowed = 'pending';
  try {
    const extra = p.kind === 'template' ? '&template_id=' + p.template.id : '';
    const c = await api('GET', '/multibot/balance-check?' + q + extra);
    let ok = c.available, message = c.message;
    if (ok && p.kind !== 'template') {
      const pv = await api('POST', '/grid-bot/preview', gridConfigOf(p, c.requested));
      if (!pv.viable) { ok = false; message = (pv.error_messages || [])[0] || message; }
    }
    if (mine !== checkSeq) return;
    p.checked = c; p.checkedQuery = q;
    el.textContent = ok ? t('start.ok', { amount: usd(c.requested), available: usd(c.available_amount), remaining: usd(c.remaining_after) }) : message;
    el.className = 'check ' + (ok ? 'ok' : 'bad');
    el.dataset.allowed = String(ok);
    el.dataset.code = c.code || '';
    $('start-confirm').disabled = !ok;
  } catch (e) {
    if (mine !== checkSeq) return;
    el.textContent = e.message; el.className = 'check bad'; el.dataset.allowed = 'false';
  }
}

async function confirmStart() {
  const p = state.pending;
  if (!p || !p.checked) return;
  if (p.checkedQuery !== startQuery()) { runCheck(); return; }
  const amount = p.checked.requested;
  const err = $('start-error');
  err.hidden = true;
  $('start-confirm').disabled = true;
  try {
    if (p.kind === 'template') {
      await api('POST', '/multibot/bots', { template_id: p.template.id, amount });
    } else if (p.kind === 'rec') {
      await api('POST', '/grid-bot/create', { symbol: p.symbol, recommendation: p.rec, investment_amount: amount, start: true });
    } else {
      await api('POST', '/grid-bot/create', { config: { ...p.cfg, investment: amount }, start: true });
    }
    $('start-dialog').close();
    toast(t('start.started'));
    await loadSummary();
  } catch (e) {
    err.textContent = e.message; err.hidden = false;
    runCheck();
  }
}

// ---- stop, delete, restart, edit, detail ------------------------------------------------------
function askConfirm(action, id) {
  const bot = state.bots.get(id);
  if (!bot) return;
  state.confirm = { action, id };
  $('confirm-text').textContent = t(action === 'stop' ? 'bot.confirm' : 'bot.confirm_delete', { name: bot.name });
  $('confirm-yes').textContent = t(action === 'stop' ? 'stop' : 'delete');
  $('confirm-dialog').showModal();
  $('confirm-no').focus();
}

async function confirmYes() {
  const c = state.confirm;
  $('confirm-dialog').close();
  state.confirm = null;
  if (!c) return;
  try {
    const r = await api('DELETE', `/multibot/bots/${c.id}`);
    toast(r && r.deleted ? t('bot.deleted') : t('bot.stopped'));
  } catch (e) { toast(e.message); }
  await loadSummary();
}

async function restartBot(id) {
  try { await api('POST', `/multibot/bots/${id}/start`); toast(t('start.started')); } catch (e) { toast(e.message); }
  await loadSummary();
}

function openEdit(id) {
  const bot = state.bots.get(id);
  if (!bot || bot.kind !== 'grid') return;
  const c = bot.config.config;
  state.editId = id;
  $('edit-what').textContent = `${bot.name} · ${bot.symbol}`;
  $('edit-sl').value = c.stop_loss || '';
  $('edit-tp').value = c.take_profit || '';
  $('edit-trigger').value = c.trigger_price || '';
  $('edit-error').hidden = true;
  $('edit-dialog').showModal();
  $('edit-sl').focus();
}

async function saveEdit() {
  const id = state.editId;
  const val = k => { const v = $(k).value.trim(); return v === '' ? null : v; };
  try {
    await api('PATCH', `/grid-bot/${id}`, { stop_loss: val('edit-sl'), take_profit: val('edit-tp'), trigger_price: val('edit-trigger') });
    $('edit-dialog').close();
    toast(t('edit.saved'));
    await loadSummary();
  } catch (e) {
    $('edit-error').textContent = e.message; $('edit-error').hidden = false;
  }
}

async function loadDetail(id) {
  try { state.lastPerf = await api('GET', `/grid-bot/${id}/performance`); renderDetail(state.lastPerf); } catch (e) { toast(e.message); }
}

async function openDetail(id) {
  state.detailId = id;
  $('bot-detail').hidden = false;
  await loadDetail(id);
  $('bot-detail').focus();
}

// ---- risk settings -----------------------------------------------------------------------------
async function loadRisk() {
  try {
    const r = await api('GET', '/account/risk-settings');
    $('risk-daily').value = r.daily_loss_limit || '';
    $('risk-lev').value = r.max_leverage;
    $('risk-pos').value = r.max_open_positions;
    $('risk-close').checked = r.close_positions_on_pause;
  } catch { /* shown on save */ }
}

async function saveRisk(ev) {
  ev.preventDefault();
  const err = $('risk-error');
  err.hidden = true;
  const daily = $('risk-daily').value.trim();
  try {
    await api('PUT', '/account/risk-settings', {
      daily_loss_limit: daily === '' ? null : daily,
      max_leverage: parseInt($('risk-lev').value, 10) || 0,
      max_open_positions: parseInt($('risk-pos').value, 10) || 0,
      close_positions_on_pause: $('risk-close').checked,
    });
    toast(t('riskp.saved'));
    state.templatesKey = '';
    await loadSummary();
  } catch (e) { err.textContent = e.message; err.hidden = false; }
}

// ---- the exchange's orphans ---------------------------------------------------------------------
async function loadOrphans() {
  let x;
  try { x = await api('GET', '/account/exchange?fills_limit=1'); } catch { return; }
  const bySymbol = new Map();
  for (const p of x.positions.filter(p => p.orphan)) bySymbol.set(p.symbol, { pos: p, orders: 0 });
  for (const o of x.open_orders.filter(o => o.orphan)) {
    const e = bySymbol.get(o.symbol) || { pos: null, orders: 0 };
    e.orders++; bySymbol.set(o.symbol, e);
  }
  $('orphans').hidden = bySymbol.size === 0;
  $('orphans-list').replaceChildren(...[...bySymbol].map(([symbol, e]) => h('li', { 'data-testid': 'orphan-item', 'data-symbol': symbol },
    e.pos ? t('orphan.position', { symbol, qty: qty(e.pos.qty, symbol), entry: price(e.pos.entry_price, symbol) }) : '',
    e.orders ? ' ' + t('orphan.orders', { symbol, n: e.orders }) : '',
    ' ', h('button', { type: 'button', class: 'danger', 'data-testid': 'orphan-close', onclick: () => closeOrphans(symbol) }, t('orphan.close', { symbol })))));
}

async function closeOrphans(symbol) {
  try { await api('POST', '/account/exchange/close-orphans', { symbol }); toast(t('orphan.closed', { symbol })); } catch (e) { toast(e.message); }
  loadOrphans();
}

// ---- wiring -----------------------------------------------------------------------------------
async function showApp() {
  $('login-view').hidden = true; $('app-view').hidden = false; $('logout').hidden = false;
  await Promise.allSettled([loadSymbols()]);
  await loadSummary();
  connectStream();
  await Promise.allSettled([loadTemplates(), loadRisk(), loadOrphans()]);
  state.orphanTimer = setInterval(loadOrphans, 20000);
  refreshPreview();
}

let refreshPreview = () => {};

function onLanguage() {
  $('toast').hidden = true;
  for (const [id, card] of state.cards) { const b = state.bots.get(id); if (b) relabelBotCard(card, b, botHandlers); }
  for (const [id, row] of state.rows) { const b = state.bots.get(id); if (b) updateGridRow(row, b, botHandlers, true); }
  if (state.summary) { renderBalance(state.summary); renderBots(); }
  setLive(state.es ? 'sse' : 'poll');
  renderTemplates();
  renderAnalysis();
  if (tokens() && !$('app-view').hidden) {
    loadTemplates(); loadSummary(); loadOrphans(); refreshPreview();
    if (state.es) connectStream();
    if (state.detailId !== null) loadDetail(state.detailId);
    if (state.pending && $('start-dialog').open) runCheck();
  }
}

function init() {
  applyI18n();
  onLangChange(onLanguage);
  $('lang-toggle').addEventListener('click', toggleLang);
  $('login-form').addEventListener('submit', onLogin);
  $('logout').addEventListener('click', () => { logout(); showLogin(); });
  bindTabs();
  $('ai-form').addEventListener('submit', analyze);
  $('bots-filter').addEventListener('change', renderBots);
  $('start-amount').addEventListener('input', () => {
    // Nothing can be confirmed until the new amount has been checked.
    $('start-confirm').disabled = true;
    $('start-check').dataset.allowed = 'pending';
    clearTimeout(checkTimer); checkTimer = setTimeout(runCheck, 200);
  });
  for (const r of document.querySelectorAll('[name=start-mode]')) r.addEventListener('change', runCheck);
  $('start-cancel').addEventListener('click', () => $('start-dialog').close());
  $('start-confirm').addEventListener('click', confirmStart);
  $('confirm-no').addEventListener('click', () => { state.confirm = null; $('confirm-dialog').close(); });
  $('confirm-yes').addEventListener('click', confirmYes);
  $('edit-cancel').addEventListener('click', () => $('edit-dialog').close());
  $('edit-save').addEventListener('click', saveEdit);
  $('risk-form').addEventListener('submit', saveRisk);
  $('detail-close').addEventListener('click', () => { state.detailId = null; $('bot-detail').hidden = true; });
  $('m-symbol').addEventListener('change', fillManualDefaults);
  // Charts are drawn at their width: draw them again when it changes.
  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => { if (state.detailId !== null && state.lastPerf) renderDetail(state.lastPerf); }, 120);
  });
  refreshPreview = bindManualForm($('manual-form'), cfg =>
    openStart({ kind: 'manual', cfg, symbol: cfg.symbol, label: `${cfg.symbol} · ${t('mode.' + cfg.mode)} · ${cfg.grids}`, amount: cfg.investment }));
  if (tokens()) showApp(); else showLogin();
}

init();
