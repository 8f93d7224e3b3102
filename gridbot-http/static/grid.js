// The manual grid form: reads the inputs, asks the server for the plan
// (POST /grid-bot/preview, debounced) and shows levels, quantity, margin,
// profit per grid and liquidation price, the broken rules and refusals
// (leverage cap, bot limit, busy symbol, balance: Start stays disabled) and
// the warnings (start outside the range, a market order at start).
import { api } from './api.js';
import { t } from './i18n.js';
import { h } from './views.js';
import { num, price, qty, usd } from './fmt.js';

export function readGridForm(form) {
  const f = new FormData(form);
  const opt = k => { const v = String(f.get(k) || '').trim(); return v === '' ? null : v; };
  return {
    symbol: String(f.get('symbol') || ''), mode: String(f.get('mode')), spacing: String(f.get('spacing')),
    lower: opt('lower'), upper: opt('upper'), grids: parseInt(f.get('grids'), 10) || 0,
    leverage: parseInt(f.get('leverage'), 10) || 0, investment: opt('investment'),
    stop_loss: opt('stop_loss'), take_profit: opt('take_profit'),
  };
}

function showList(id, list) {
  const e = document.getElementById(id);
  e.hidden = !list.length;
  e.replaceChildren(...list.map(m => h('div', {}, m)));
}

export function bindManualForm(form, onStart) {
  let timer = null, seq = 0;
  const preview = document.getElementById('manual-preview');
  const startBtn = document.getElementById('manual-start');
  async function refresh() {
    const cfg = readGridForm(form);
    const mine = ++seq;
    if (!cfg.lower || !cfg.upper || !cfg.investment) { startBtn.disabled = true; return; }
    try {
      const p = await api('POST', '/grid-bot/preview', cfg);
      if (mine !== seq) return;
      const s = cfg.symbol;
      const item = (k, v, tid) => h('div', {}, h('dt', {}, t(k)), h('dd', { 'data-testid': tid }, v));
      const lv = p.levels || [];
      preview.replaceChildren(...[h('dl', {},
        item('p.levels', lv.length ? `${lv.length} · ${price(lv[0], s)} … ${price(lv[lv.length - 1], s)}` : '–', 'preview-levels'),
        item('p.qty', qty(p.qty_per_grid, s), 'preview-qty'),
        item('p.margin', usd(p.required_margin), 'preview-margin'),
        item('p.profit', `${num(p.profit_per_grid_pct.min).toFixed(2)} – ${num(p.profit_per_grid_pct.max).toFixed(2)} %`, 'preview-profit'),
        item('p.liq', p.liquidation_price ? price(p.liquidation_price, s) : t('p.none'), 'preview-liq')),
        p.warning_messages && p.warning_messages.length
          ? h('div', { class: 'warnings', 'data-testid': 'preview-warnings' }, h('strong', {}, t('p.warnings')), ...p.warning_messages.map(w => h('div', {}, w)))
          : null].filter(Boolean));
      showList('manual-errors', p.error_messages || []);
      startBtn.disabled = !p.viable;
      startBtn.dataset.refusal = p.refusal_code || '';
    } catch (e) {
      if (mine !== seq) return;
      preview.replaceChildren();
      showList('manual-errors', [e.message]);
      startBtn.disabled = true;
    }
  }
  form.addEventListener('input', () => { startBtn.disabled = true; clearTimeout(timer); timer = setTimeout(refresh, 250); });
  form.addEventListener('submit', ev => { ev.preventDefault(); if (!startBtn.disabled) onStart(readGridForm(form)); });
  return refresh;
}
