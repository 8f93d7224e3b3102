// The manual grid form: reads the inputs, asks the server for the plan
// (POST /grid-bot/preview, debounced) and shows levels, quantity, margin,
// profit per grid and liquidation price, or the errors inline.
import { api } from './api.js';
import { t } from './i18n.js';
import { h, money, num } from './views.js';

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

function showErrors(list) {
  const e = document.getElementById('manual-errors');
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
      const item = (k, v, tid) => h('div', {}, h('dt', {}, t(k)), h('dd', { 'data-testid': tid }, v));
      const lv = p.levels || [];
      preview.replaceChildren(h('dl', {},
        item('p.levels', lv.length ? `${lv.length} · ${lv[0]} … ${lv[lv.length - 1]}` : '–', 'preview-levels'),
        item('p.qty', p.qty_per_grid, 'preview-qty'),
        item('p.margin', money(p.required_margin) + ' USDT', 'preview-margin'),
        item('p.profit', `${num(p.profit_per_grid_pct.min).toFixed(2)} – ${num(p.profit_per_grid_pct.max).toFixed(2)} %`, 'preview-profit'),
        item('p.liq', p.liquidation_price ? money(p.liquidation_price) : t('p.none'), 'preview-liq')));
      showErrors(p.error_messages || []);
      startBtn.disabled = !p.viable;
    } catch (e) {
      if (mine !== seq) return;
      preview.replaceChildren();
      showErrors([e.message]);
      startBtn.disabled = true;
    }
  }
  form.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(refresh, 250); });
  form.addEventListener('submit', ev => { ev.preventDefault(); onStart(readGridForm(form)); });
  return refresh;
}
