// Rendering: template cards, recommendation cards, bot cards, the grid
// table, the bot detail view. Every function builds DOM nodes (no innerHTML
// with data). Bot cards and table rows are built once per bot and then
// updated in place (text nodes only), so a live update never takes the
// focus from a button; their buttons are rebuilt only when the bot's
// possible actions change.
import { t, currentLang } from './i18n.js';
import { sparkline, lineChart, gridChart } from './charts.js';
import { num, price, qty, money, usd, signedUsd, pct, pnlClass } from './fmt.js';

export { num, money, pnlClass };

export function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function kv(label, value, attrs) { return h('div', { class: 'kv' }, h('span', {}, label), h('span', attrs || {}, value)); }

/** Sets the text of the element `sel` in `root` when it changed. */
function setText(root, sel, text, cls) {
  const el = root.querySelector(sel);
  if (!el) return;
  if (el.textContent !== text) el.textContent = text;
  if (cls !== undefined && el.className !== cls) el.className = cls;
}

export function templateCard(tpl, onStart) {
  const check = tpl.start_check;
  const refused = check && !check.allowed;
  return h('article', { class: 'card', 'data-testid': 'template-card', 'data-template-id': tpl.id },
    h('h3', {}, tpl.name),
    h('div', { class: 'tags' },
      h('span', { class: 'tag' }, tpl.symbol),
      h('span', { class: 'tag' }, t('mode.' + tpl.direction)),
      h('span', { class: 'tag' }, tpl.leverage + 'X'),
      tpl.is_featured ? h('span', { class: 'tag moderate' }, t('tpl.featured')) : null),
    h('p', { class: 'muted' }, tpl.description || ''),
    kv(t('tpl.sl'), pct(-tpl.stop_loss_percent).replace('+', '')),
    kv(t('tpl.tp'), pct(tpl.take_profit_percent)),
    kv(t('tpl.range'), money(tpl.min_investment) + ' – ' + usd(tpl.max_investment)),
    refused ? h('p', { class: 'error', 'data-testid': 'template-refusal' }, check.message) : null,
    h('div', { class: 'actions' }, h('button', {
      type: 'button', class: 'primary', 'data-testid': 'template-start', disabled: refused,
      title: refused ? check.message : null, onclick: () => onStart(tpl),
    }, t('start'))));
}

/** The advisor's "3-7 days" in the current language. */
function duration(d) {
  const m = /^(\d+)-(\d+) days?$/.exec(String(d || ''));
  if (!m) return d || '–';
  return currentLang() === 'ko' ? `${m[1]}–${m[2]}일` : `${m[1]}–${m[2]} days`;
}

export function recommendationCard(rec, owner, symbol, onUse) {
  const curve = (owner.roi_curve || []).map(p => [p[0], num(p[1])]);
  const desc = t('ai.desc', { risk: t('risk.' + rec.risk_level), lower: price(rec.lower, symbol), upper: price(rec.upper, symbol), grids: rec.grids, lev: rec.leverage });
  return h('article', { class: 'card', 'data-testid': 'rec-card', 'data-risk': rec.risk_level },
    h('h3', {}, t('risk.' + rec.risk_level)),
    h('div', { class: 'tags' },
      h('span', { class: 'tag' }, symbol),
      h('span', { class: 'tag ' + rec.risk_level, 'data-testid': 'rec-risk' }, t('risk.' + rec.risk_level)),
      h('span', { class: 'tag', 'data-testid': 'rec-leverage' }, rec.leverage + 'X'),
      h('span', { class: 'tag' }, t('mode.' + rec.mode))),
    h('div', { class: 'spark' }, sparkline(curve)),
    h('div', { class: 'kv' }, h('span', {}, t('ai.roi30')), h('span', { class: 'roi ' + pnlClass(owner.expected_roi_30d), 'data-testid': 'rec-roi' }, pct(owner.expected_roi_30d))),
    kv(t('ai.roi7'), pct(rec.expected_roi_7d_pct) + ' (' + t('ai.roi7range', { low: pct(rec.expected_roi_7d_low_pct), high: pct(rec.expected_roi_7d_high_pct) }) + ')', { 'data-testid': 'rec-roi7' }),
    kv(t('ai.backtest', { days: Math.round(num(rec.backtest_days)) }), pct(rec.backtest_roi_pct), { 'data-testid': 'rec-backtest' }),
    (rec.track_record_roi_pct || []).length ? kv(t('ai.track'), rec.track_record_roi_pct.map(pct).join(' · '), { 'data-testid': 'rec-track' }) : null,
    h('p', { class: 'muted' }, desc),
    rec.stepped_down_from ? h('p', { class: 'muted', 'data-testid': 'rec-stepped' }, t('ai.stepped', { from: rec.stepped_down_from, lev: rec.leverage })) : null,
    kv(t('ai.range'), price(rec.lower, symbol) + ' – ' + price(rec.upper, symbol), { 'data-testid': 'rec-range' }),
    kv(t('ai.grids'), rec.grids),
    kv(t('ai.drawdown'), pct(-num(rec.max_drawdown_pct))),
    kv(t('ai.min'), usd(rec.min_investment), { 'data-testid': 'rec-min' }),
    kv(t('ai.duration'), duration(owner.duration || rec.recommended_duration)),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', 'data-testid': 'rec-use', onclick: () => onUse(rec) }, t('use'))));
}

function actionsKey(bot) { return JSON.stringify(bot.actions) + bot.kind; }

function botActions(bot, on) {
  const a = bot.actions;
  return [
    h('button', { type: 'button', 'data-testid': 'bot-open', onclick: () => on.onOpen(bot.id) }, t('details')),
    a.edit && bot.kind === 'grid' && bot.actions.stop ? h('button', { type: 'button', 'data-testid': 'bot-edit', onclick: () => on.onEdit(bot.id) }, t('edit')) : null,
    a.start ? h('button', { type: 'button', class: 'primary', 'data-testid': 'bot-start', onclick: () => on.onStart(bot.id) }, bot.state === 'stopped' ? t('restart') : t('start')) : null,
    a.delete ? h('button', { type: 'button', 'data-testid': 'bot-delete', onclick: () => on.onDelete(bot.id) }, t('delete')) : null,
    a.stop ? h('button', { type: 'button', class: 'danger', 'data-testid': 'bot-stop', onclick: () => on.onStop(bot.id) }, t('stop')) : null,
  ];
}

/** A bot card (built once; `updateBotCard` keeps it current). */
export function botCard(bot, on) {
  const el = h('article', { class: 'card', 'data-testid': 'bot-card', 'data-bot-id': bot.id },
    h('h3', { 'data-role': 'name' }),
    h('div', { class: 'tags' },
      h('span', { class: 'tag', 'data-testid': 'bot-symbol' }, bot.symbol),
      h('span', { class: 'tag', 'data-role': 'kind' }),
      h('span', { class: 'tag', 'data-testid': 'bot-status', 'data-role': 'status' })),
    h('div', { class: 'kv', 'data-role': 'alloc-row' }, h('span', { 'data-role': 'alloc-label' }), h('span', { 'data-testid': 'bot-allocation', 'data-role': 'alloc' })),
    h('div', { class: 'kv' }, h('span', { 'data-role': 'pnl-label' }), h('span', { 'data-testid': 'bot-pnl', 'data-role': 'pnl' })),
    h('div', { class: 'kv' }, h('span', { 'data-role': 'roi-label' }), h('span', { 'data-testid': 'bot-roi', 'data-role': 'roi' })),
    h('div', { class: 'kv' }, h('span', { 'data-role': 'fills-label' }), h('span', { 'data-role': 'fills' })),
    h('p', { class: 'error', 'data-role': 'error', hidden: true }),
    h('div', { class: 'actions', 'data-role': 'actions' }));
  updateBotCard(el, bot, on, true);
  return el;
}

export function updateBotCard(el, bot, on, fresh) {
  el.dataset.status = bot.state;
  setText(el, '[data-role=name]', bot.name);
  setText(el, '[data-role=kind]', t('kind.' + bot.kind));
  setText(el, '[data-role=status]', t('status.' + bot.state), 'tag ' + bot.state);
  el.querySelector('[data-role=status]').dataset.status = bot.state;
  const holding = !['stopped', 'created'].includes(bot.state);
  el.querySelector('[data-role=alloc-row]').hidden = !holding;
  setText(el, '[data-role=alloc-label]', t('bot.allocation'));
  setText(el, '[data-role=alloc]', usd(bot.allocation));
  setText(el, '[data-role=pnl-label]', t('bot.pnl'));
  setText(el, '[data-role=pnl]', signedUsd(bot.total_pnl), pnlClass(bot.total_pnl));
  el.querySelector('[data-role=pnl]').dataset.value = bot.total_pnl;
  setText(el, '[data-role=roi-label]', t('bot.roi'));
  setText(el, '[data-role=roi]', pct(bot.roi_pct), pnlClass(bot.roi_pct));
  setText(el, '[data-role=fills-label]', t('bot.fills'));
  setText(el, '[data-role=fills]', String(bot.fills));
  const err = el.querySelector('[data-role=error]');
  err.hidden = !bot.error_message;
  if (err.textContent !== (bot.error_message || '')) err.textContent = bot.error_message || '';
  const key = actionsKey(bot) + (fresh ? '' : '');
  const box = el.querySelector('[data-role=actions]');
  if (box.dataset.key !== key || fresh) {
    box.dataset.key = key;
    box.replaceChildren(...botActions(bot, on).filter(Boolean));
  }
}

/** Refreshes the labels of a card after a language switch. */
export function relabelBotCard(el, bot, on) {
  el.querySelector('[data-role=actions]').dataset.key = '';
  updateBotCard(el, bot, on, true);
}

/** A row of the grid table (built once; `updateGridRow` keeps it current). */
export function gridRow(g, on) {
  const tr = h('tr', { 'data-testid': 'grid-row', 'data-bot-id': g.id },
    h('td', { 'data-role': 'symbol' }), h('td', { 'data-role': 'roi' }), h('td', { 'data-role': 'inv' }),
    h('td', { 'data-role': 'status' }), h('td', { 'data-role': 'actions', class: 'row-actions' }));
  updateGridRow(tr, g, on, true);
  return tr;
}

export function updateGridRow(tr, g, on, fresh) {
  setText(tr, '[data-role=symbol]', g.symbol);
  setText(tr, '[data-role=roi]', pct(g.roi_pct), pnlClass(g.roi_pct));
  setText(tr, '[data-role=inv]', usd(g.allocation));
  setText(tr, '[data-role=status]', t('status.' + g.state));
  const box = tr.querySelector('[data-role=actions]');
  const key = actionsKey(g);
  if (box.dataset.key !== key || fresh) {
    box.dataset.key = key;
    box.replaceChildren(...[
      g.actions.stop ? h('button', { type: 'button', class: 'danger', 'data-testid': 'grid-stop', onclick: () => on.onStop(g.id) }, t('stop')) : null,
      g.actions.edit && g.actions.stop ? h('button', { type: 'button', 'data-testid': 'grid-edit', onclick: () => on.onEdit(g.id) }, t('edit')) : null,
      g.actions.start ? h('button', { type: 'button', 'data-testid': 'grid-start', onclick: () => on.onStart(g.id) }, g.state === 'stopped' ? t('restart') : t('start')) : null,
    ].filter(Boolean));
  }
}

export function renderDetail(perf) {
  const bot = perf.bot;
  const sym = bot.symbol;
  document.getElementById('detail-title').textContent = `${bot.name} · ${sym} · ${t('status.' + bot.state)}`;
  const stats = document.getElementById('detail-stats');
  const row = (k, v, cls, tid) => [h('div', {}, h('dt', {}, t(k)), h('dd', { class: cls || '', 'data-testid': tid }, v))];
  stats.replaceChildren(
    ...row('d.roi', pct(perf.roi_pct), pnlClass(perf.roi_pct), 'detail-roi'),
    ...row('d.apr', perf.apr_pct === null ? '– (' + t('d.apr_wait') + ')' : pct(perf.apr_pct), pnlClass(perf.apr_pct), 'detail-apr'),
    ...row('bot.pnl', signedUsd(bot.total_pnl), pnlClass(bot.total_pnl), 'detail-pnl'),
    ...(bot.kind === 'grid' ? row('d.grid_profit', signedUsd(perf.grid_profit), pnlClass(perf.grid_profit)) : []),
    ...row('d.unrealized', signedUsd(perf.unrealized_pnl), pnlClass(perf.unrealized_pnl)),
    ...row('d.fees', usd(perf.fees)),
    ...row('d.fills', perf.fills),
    ...row('detail.price', perf.current_price ? price(perf.current_price, sym) : '–', '', 'detail-price'));
  const trend = document.getElementById('detail-trend');
  trend.hidden = !bot.trend;
  if (bot.trend) {
    const p = bot.current_position;
    trend.replaceChildren(
      ...row('d.state', t('ts.' + bot.trend.state), '', 'detail-trend-state'),
      ...row('d.position', p ? `${t(p.side === 'long' ? 'mode.long' : 'mode.short')} ${qty(Math.abs(num(p.qty)), sym)}` : t('d.flat'), '', 'detail-position'),
      ...row('d.entry', p ? price(p.entry_price, sym) : '–', '', 'detail-entry'),
      ...row('d.sl', bot.trend.stop_loss_price ? price(bot.trend.stop_loss_price, sym) : '–', '', 'detail-sl'),
      ...row('d.tp', bot.trend.take_profit_price ? price(bot.trend.take_profit_price, sym) : '–', '', 'detail-tp'));
  }
  const eqEl = document.getElementById('detail-equity');
  const eq = (perf.equity_curve || []).map(p => [p.ts, num(p.equity)]);
  eqEl.replaceChildren(lineChart(eq, { label: t('detail.equity'), w: eqEl.clientWidth || 640, fmt: v => money(v) }));
  document.getElementById('detail-grid-block').hidden = bot.kind !== 'grid';
  const levels = (perf.levels || []).map(num);
  const orders = (perf.open_orders || []).filter(o => o.price).map(o => ({ side: o.side, price: num(o.price) }));
  const gEl = document.getElementById('detail-grid');
  gEl.replaceChildren(gridChart(levels, orders, perf.current_price ? num(perf.current_price) : null,
    { label: t('detail.grid'), w: gEl.clientWidth || 640, fmt: v => price(v, sym) }));
  const body = document.querySelector('#detail-trades tbody');
  body.replaceChildren(...(perf.trades || []).slice().reverse().slice(0, 100).map(tr => h('tr', { 'data-testid': 'trade-row' },
    h('td', {}, new Date(tr.ts).toLocaleString()), h('td', { class: tr.side === 'buy' ? 'up' : 'down' }, t('side.' + tr.side)),
    h('td', {}, price(tr.price, sym)), h('td', {}, qty(tr.qty, sym)), h('td', {}, money(tr.fee)),
    h('td', { class: pnlClass(tr.realized_pnl) }, money(tr.realized_pnl)))));
}
