// The dashboard controller: login, balance bar, strategy tabs, start
// dialog, bot cards, detail view, live updates (SSE, else polling every 5 s).
import { api, login, logout, tokens, streamUrl } from './api.js';
import { t, applyI18n, toggleLang } from './i18n.js';
import { h, num, money, signed, pnlClass, templateCard, recommendationCard, botCard, renderDetail } from './views.js';
import { bindManualForm } from './grid.js';

const $ = id => document.getElementById(id);
const state = { summary: null, symbols: [], pending: null, detailId: null, es: null, poll: null, stopId: null };

function toast(msg) {
  const el = $('toast');
  el.textContent = msg; el.hidden = false;
  clearTimeout(toast.timer); toast.timer = setTimeout(() => { el.hidden = true; }, 3500);
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

// ---- balance bar and bots --------------------------------------------------
function renderBalance(b) {
  $('balance-used').textContent = money(b.used);
  $('balance-total').textContent = money(b.total);
  $('balance-pct').textContent = num(b.used_pct).toFixed(2) + '%';
  $('balance-available').textContent = money(b.available);
  $('balance-active-bots').textContent = b.active_bots;
  $('balance-max-bots').textContent = b.max_bots;
  const pnl = $('balance-total-pnl');
  pnl.textContent = signed(b.total_pnl); pnl.className = 'pnl ' + pnlClass(b.total_pnl);
  pnl.dataset.value = b.total_pnl;
  const pct = Math.min(100, Math.max(0, num(b.used_pct)));
  $('balance-fill').style.width = pct + '%';
  const bar = $('balance-progress');
  bar.setAttribute('aria-valuenow', pct.toFixed(0));
  bar.classList.toggle('high', pct >= 80);
}

function renderBots() {
  const s = state.summary;
  if (!s) return;
  const filter = $('bots-filter').value;
  const bots = s.bots.filter(b => filter === 'all' || !['stopped', 'created'].includes(b.status));
  const list = $('bots-list');
  if (!bots.length) { list.replaceChildren(h('p', { class: 'muted', 'data-testid': 'bots-empty' }, t('bots.empty'))); return; }
  list.replaceChildren(...bots.map(b => botCard(b, { onStop: askStop, onOpen: openDetail })));
}

function applySummary(s) {
  state.summary = s;
  renderBalance(s.balance);
  renderBots();
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
}

function connectStream() {
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
    // Try the stream again later (the token may have been refreshed meanwhile).
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
  const list = await api('GET', '/multibot/templates');
  $('templates-list').replaceChildren(...list.filter(x => x.is_active).map(tpl => templateCard(tpl, tpl2 =>
    openStart({ kind: 'template', template: tpl2, label: `${tpl2.name} · ${tpl2.symbol}`, amount: tpl2.min_investment }))));
}

async function loadSymbols() {
  state.symbols = await api('GET', '/market/symbols');
  for (const id of ['ai-symbol', 'm-symbol']) {
    $(id).replaceChildren(...state.symbols.map(s => h('option', { value: s.symbol }, s.symbol)));
    if (state.symbols.some(s => s.symbol === 'BTCUSDT')) $(id).value = 'BTCUSDT';
  }
  fillManualDefaults();
}

function fillManualDefaults() {
  const sym = state.symbols.find(s => s.symbol === $('m-symbol').value);
  if (!sym || !sym.price) return;
  const p = num(sym.price), dp = p >= 100 ? 1 : p >= 1 ? 3 : 5;
  $('m-lower').value = (p * 0.9).toFixed(dp);
  $('m-upper').value = (p * 1.1).toFixed(dp);
}

async function analyze(ev) {
  ev.preventDefault();
  const symbol = $('ai-symbol').value;
  const status = $('ai-status');
  status.textContent = t('ai.loading');
  $('ai-cards').replaceChildren();
  $('ai-analysis').textContent = '';
  try {
    const r = await api('POST', '/grid-bot/analyze', { symbol, timeframe: '1h' });
    const a = r.analysis;
    $('ai-analysis').textContent = t('ai.trend', { trend: a.trend, vol: Number(a.volatility_24h_pct).toFixed(2), price: a.current_price });
    status.textContent = r.recommendations.length ? '' : t('ai.none');
    $('ai-cards').replaceChildren(...r.recommendations.map(rec => recommendationCard(rec, rec2 =>
      openStart({ kind: 'rec', rec: rec2, symbol, label: `${rec2.name} · ${symbol}`, amount: defaultAmount(rec2.min_investment) }))));
  } catch (e) {
    status.textContent = e.message;
  }
}

function defaultAmount(min) {
  const avail = state.summary ? num(state.summary.balance.available) : 0;
  const want = Math.max(num(min) * 1.2, 100);
  return String(Math.floor(Math.min(want, avail) * 100) / 100);
}

// ---- start dialog --------------------------------------------------------------------
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

async function runCheck() {
  const q = startQuery();
  const el = $('start-check');
  const mine = ++checkSeq;
  if (!q) { el.textContent = ''; $('start-confirm').disabled = true; return; }
  try {
    const c = await api('GET', '/multibot/balance-check?' + q);
    if (mine !== checkSeq) return;
    state.pending.checked = c;
    state.pending.checkedQuery = q;
    const vars = { amount: money(c.requested), available: money(c.available), remaining: money(c.remaining) };
    el.textContent = c.allowed ? t('start.ok', vars) : t('start.bad', vars);
    el.className = 'check ' + (c.allowed ? 'ok' : 'bad');
    el.dataset.allowed = String(c.allowed);
    $('start-confirm').disabled = !c.allowed;
  } catch (e) {
    if (mine !== checkSeq) return;
    el.textContent = e.message; el.className = 'check bad'; el.dataset.allowed = 'false';
    $('start-confirm').disabled = true;
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
    } else {
      const body = p.kind === 'rec'
        ? { symbol: p.symbol, recommendation: p.rec, investment_amount: amount }
        : { config: { ...p.cfg, investment: amount }, investment_amount: amount };
      const bot = await api('POST', '/grid-bot/create', body);
      await api('POST', `/grid-bot/${bot.id}/start`);
    }
    $('start-dialog').close();
    toast(t('start.started'));
    await loadSummary();
  } catch (e) {
    err.textContent = e.message; err.hidden = false;
    $('start-confirm').disabled = false;
  }
}

// ---- stop and detail --------------------------------------------------------------------
function askStop(bot) {
  state.stopId = bot.id;
  $('confirm-text').textContent = t('bot.confirm', { name: bot.name });
  $('confirm-dialog').showModal();
  $('confirm-no').focus();
}

async function confirmStop() {
  const id = state.stopId;
  $('confirm-dialog').close();
  if (id === null) return;
  try {
    await api('DELETE', `/multibot/bots/${id}`);
    toast(t('bot.stopped'));
  } catch (e) { toast(e.message); }
  await loadSummary();
}

async function loadDetail(id) {
  try { renderDetail(await api('GET', `/grid-bot/${id}/performance`)); } catch (e) { toast(e.message); }
}

async function openDetail(bot) {
  state.detailId = bot.id;
  $('bot-detail').hidden = false;
  await loadDetail(bot.id);
  $('bot-detail').focus();
}

// ---- wiring -----------------------------------------------------------------------------------
async function showApp() {
  $('login-view').hidden = true; $('app-view').hidden = false; $('logout').hidden = false;
  await loadSummary();
  connectStream();
  await Promise.allSettled([loadTemplates(), loadSymbols()]);
  refreshPreview();
}

let refreshPreview = () => {};

function init() {
  applyI18n();
  $('lang-toggle').addEventListener('click', () => { toggleLang(); renderBots(); if (state.summary) renderBalance(state.summary.balance); });
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
  $('confirm-no').addEventListener('click', () => { state.stopId = null; $('confirm-dialog').close(); });
  $('confirm-yes').addEventListener('click', confirmStop);
  $('detail-close').addEventListener('click', () => { state.detailId = null; $('bot-detail').hidden = true; });
  $('m-symbol').addEventListener('change', fillManualDefaults);
  refreshPreview = bindManualForm($('manual-form'), cfg =>
    openStart({ kind: 'manual', cfg, label: `${cfg.symbol} · ${t('mode.' + cfg.mode)} · ${cfg.grids}`, amount: cfg.investment }));
  if (tokens()) showApp(); else showLogin();
}

init();
