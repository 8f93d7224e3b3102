// Numbers as a person reads them: prices to the contract's tick, quantities
// to its lot, money to cents with thousands separators and a unit,
// percentages with a sign. The steps come from GET /market/symbols.
const steps = new Map(); // symbol -> { tick, lot }

export function setSteps(symbols) {
  for (const s of symbols || []) steps.set(s.symbol, { tick: s.tick_size, lot: s.lot_size });
}

/** Decimals of a step such as "0.00001" (5) or "1" (0). */
export function decimalsOf(step) {
  if (step === null || step === undefined) return null;
  const s = String(step);
  const i = s.indexOf('.');
  if (i < 0) return 0;
  return s.slice(i + 1).replace(/0+$/, '').length;
}

export function num(s) { const v = parseFloat(s); return isFinite(v) ? v : 0; }

function fixed(v, digits) {
  return num(v).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A price of `symbol` to its tick (up to 8 decimals when the tick is unknown). */
export function price(v, symbol) {
  if (v === null || v === undefined || v === '') return '–';
  const st = steps.get(symbol);
  const d = st ? decimalsOf(st.tick) : null;
  if (d !== null) return fixed(v, d);
  return num(v).toLocaleString('en-US', { maximumFractionDigits: 8 });
}

/** A quantity of `symbol` to its lot. */
export function qty(v, symbol) {
  const st = steps.get(symbol);
  const d = st ? decimalsOf(st.lot) : null;
  return d !== null ? fixed(v, d) : num(v).toLocaleString('en-US', { maximumFractionDigits: 8 });
}

/** Money to cents with separators, no unit. */
export function money(v) { return fixed(v, 2); }
/** Money to cents with the unit. */
export function usd(v) { return money(v) + ' USDT'; }
/** Signed money with the unit: "+12.50 USDT". */
export function signedUsd(v) { const x = num(v); return (x > 0 ? '+' : '') + money(x) + ' USDT'; }
/** A signed percentage: "+1.25 %". */
export function pct(v) { const x = num(v); return (x > 0 ? '+' : '') + fixed(x, 2) + ' %'; }
export function pnlClass(v) { const x = num(v); return x > 0 ? 'up' : x < 0 ? 'down' : ''; }
