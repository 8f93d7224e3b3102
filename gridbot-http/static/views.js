// Rendering: template cards, recommendation cards, bot cards, the bot
// detail view. Every function builds DOM nodes (no innerHTML with data).
import { t } from './i18n.js';
import { sparkline, lineChart, gridChart } from './charts.js';

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

export function num(s) { const v = parseFloat(s); return isFinite(v) ? v : 0; }
export function money(s) { return num(s).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 }); }
export function signed(s) { const v = num(s); return (v > 0 ? '+' : '') + money(s); }
export function pnlClass(s) { const v = num(s); return v > 0 ? 'up' : v < 0 ? 'down' : ''; }
function kv(label, value, attrs) { return h('div', { class: 'kv' }, h('span', {}, label), h('span', attrs || {}, value)); }

export function templateCard(tpl, onStart) {
  return h('article', { class: 'card', 'data-testid': 'template-card', 'data-template-id': tpl.id },
    h('h3', {}, tpl.name),
    h('div', { class: 'tags' },
      h('span', { class: 'tag' }, tpl.symbol),
      h('span', { class: 'tag' }, t('mode.' + tpl.direction)),
      h('span', { class: 'tag' }, tpl.leverage + 'x'),
      tpl.is_featured ? h('span', { class: 'tag moderate' }, t('tpl.featured')) : null),
    h('p', { class: 'muted' }, tpl.description),
    kv(t('tpl.sl'), num(tpl.stop_loss_percent) + ' %'),
    kv(t('tpl.tp'), num(tpl.take_profit_percent) + ' %'),
    kv(t('tpl.range'), money(tpl.min_investment) + ' – ' + money(tpl.max_investment) + ' USDT'),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', 'data-testid': 'template-start', onclick: () => onStart(tpl) }, t('start'))));
}

export function recommendationCard(rec, onUse) {
  const curve = (rec.roi_curve || []).map(p => [p[0], num(p[1])]);
  return h('article', { class: 'card', 'data-testid': 'rec-card', 'data-risk': rec.risk_level },
    h('h3', {}, rec.name),
    h('div', { class: 'tags' },
      h('span', { class: 'tag ' + rec.risk_level, 'data-testid': 'rec-risk' }, t('risk.' + rec.risk_level)),
      h('span', { class: 'tag', 'data-testid': 'rec-leverage' }, rec.leverage + 'x'),
      h('span', { class: 'tag' }, t('mode.' + rec.mode))),
    h('div', { class: 'spark' }, sparkline(curve)),
    h('div', { class: 'kv' }, h('span', {}, t('ai.roi30')), h('span', { class: 'roi ' + pnlClass(rec.expected_roi_30d), 'data-testid': 'rec-roi' }, signed(rec.expected_roi_30d) + ' %')),
    kv(t('ai.range'), money(rec.lower) + ' – ' + money(rec.upper)),
    kv(t('ai.grids'), rec.grids),
    kv(t('ai.drawdown'), money(rec.max_drawdown_pct) + ' %'),
    kv(t('ai.min'), money(rec.min_investment) + ' USDT', { 'data-testid': 'rec-min' }),
    kv(t('ai.duration'), rec.recommended_duration),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', 'data-testid': 'rec-use', onclick: () => onUse(rec) }, t('use'))));
}

export function botCard(bot, { onStop, onOpen }) {
  const active = !['stopped', 'created'].includes(bot.status);
  return h('article', { class: 'card', 'data-testid': 'bot-card', 'data-bot-id': bot.id, 'data-status': bot.status },
    h('h3', {}, bot.name),
    h('div', { class: 'tags' },
      h('span', { class: 'tag', 'data-testid': 'bot-symbol' }, bot.symbol),
      h('span', { class: 'tag' }, bot.kind),
      h('span', { class: 'tag ' + bot.status, 'data-testid': 'bot-status', 'data-status': bot.status }, t('status.' + bot.status))),
    kv(t('bot.allocation'), money(bot.allocation) + ' USDT', { 'data-testid': 'bot-allocation' }),
    kv(t('bot.pnl'), signed(bot.total_pnl) + ' USDT', { class: pnlClass(bot.total_pnl), 'data-testid': 'bot-pnl', 'data-value': bot.total_pnl }),
    kv(t('bot.roi'), signed(bot.roi_pct) + ' %', { class: pnlClass(bot.roi_pct), 'data-testid': 'bot-roi' }),
    kv(t('bot.fills'), bot.fills),
    bot.error_message ? h('p', { class: 'error' }, bot.error_message) : null,
    h('div', { class: 'actions' },
      h('button', { type: 'button', 'data-testid': 'bot-open', onclick: () => onOpen(bot) }, t('details')),
      active ? h('button', { type: 'button', class: 'danger', 'data-testid': 'bot-stop', onclick: () => onStop(bot) }, t('stop')) : null));
}

export function renderDetail(perf) {
  const bot = perf.bot;
  document.getElementById('detail-title').textContent = `${bot.name} · ${bot.symbol} · ${t('status.' + bot.status)}`;
  const stats = document.getElementById('detail-stats');
  const row = (k, v, cls, tid) => [h('div', {}, h('dt', {}, t(k)), h('dd', { class: cls || '', 'data-testid': tid }, v))];
  stats.replaceChildren(
    ...row('d.roi', signed(perf.roi_pct) + ' %', pnlClass(perf.roi_pct), 'detail-roi'),
    ...row('d.apr', signed(perf.apr_pct) + ' %', pnlClass(perf.apr_pct)),
    ...row('bot.pnl', signed(bot.total_pnl) + ' USDT', pnlClass(bot.total_pnl), 'detail-pnl'),
    ...row('d.grid_profit', signed(perf.grid_profit)),
    ...row('d.unrealized', signed(perf.unrealized_pnl), pnlClass(perf.unrealized_pnl)),
    ...row('d.fees', money(perf.fees)),
    ...row('d.fills', perf.fills),
    ...row('detail.price', perf.current_price ? money(perf.current_price) : '–'));
  const eq = (perf.equity_curve || []).map(p => [p.ts, num(p.equity)]);
  document.getElementById('detail-equity').replaceChildren(lineChart(eq, { label: t('detail.equity') }));
  document.getElementById('detail-grid-block').hidden = bot.kind !== 'grid';
  const levels = (perf.levels || []).map(num);
  const orders = (perf.open_orders || []).filter(o => o.price).map(o => ({ side: o.side, price: num(o.price) }));
  document.getElementById('detail-grid').replaceChildren(gridChart(levels, orders, perf.current_price ? num(perf.current_price) : null, { label: t('detail.grid') }));
  const body = document.querySelector('#detail-trades tbody');
  body.replaceChildren(...(perf.trades || []).slice().reverse().slice(0, 100).map(tr => h('tr', { 'data-testid': 'trade-row' },
    h('td', {}, new Date(tr.ts).toLocaleString()), h('td', { class: tr.side === 'buy' ? 'up' : 'down' }, tr.side),
    h('td', {}, tr.price), h('td', {}, tr.qty), h('td', {}, tr.fee), h('td', { class: pnlClass(tr.realized_pnl) }, tr.realized_pnl))));
}
