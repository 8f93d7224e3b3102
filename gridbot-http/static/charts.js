// Charts drawn as SVG by hand: a sparkline, a line chart with a price axis,
// and the grid view (grid lines, open orders, current price). The line and
// grid charts are drawn at their container's width (the caller passes it),
// so their 12 px labels stay 12 px on a phone instead of shrinking with
// the picture; values are labelled with the caller's formatter (prices to
// the tick).
const NS = 'http://www.w3.org/2000/svg';

function el(name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function svg(w, h, label) {
  return el('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': label || 'chart', preserveAspectRatio: 'none' });
}

function extent(values) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (!isFinite(lo)) return [0, 1];
  if (lo === hi) { lo -= 1; hi += 1; }
  return [lo, hi];
}

function fmt(v) {
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 10 ? v.toFixed(2) : a >= 1 ? v.toFixed(3) : v.toPrecision(4);
}

// points: [[x, y], ...] numbers. Green when the last y >= the first.
export function sparkline(points, w = 240, h = 50, label = 'ROI') {
  const s = svg(w, h, label);
  if (!points || points.length < 2) return s;
  const [x0, x1] = extent(points.map(p => p[0]));
  const [y0, y1] = extent(points.map(p => p[1]));
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${((p[0] - x0) / (x1 - x0) * w).toFixed(1)},${(h - 2 - (p[1] - y0) / (y1 - y0) * (h - 4)).toFixed(1)}`).join('');
  const up = points[points.length - 1][1] >= points[0][1];
  s.append(el('path', { d, fill: 'none', stroke: up ? '#4ade80' : '#f87171', 'stroke-width': 1.6 }));
  return s;
}

// A line chart with min / max labels and the time span.
export function lineChart(points, { w = 640, h = 220, label = 'chart', fmt: f = fmt } = {}) {
  w = Math.max(260, Math.round(w));
  const s = svg(w, h, label);
  const pad = { l: 72, r: 8, t: 8, b: 20 };
  if (!points || points.length < 2) {
    s.append(el('text', { x: w / 2, y: h / 2, fill: '#8b98a5', 'text-anchor': 'middle', 'font-size': 13 }, '–'));
    return s;
  }
  const [x0, x1] = extent(points.map(p => p[0]));
  const [y0, y1] = extent(points.map(p => p[1]));
  const X = x => pad.l + (x - x0) / (x1 - x0) * (w - pad.l - pad.r);
  const Y = y => pad.t + (1 - (y - y0) / (y1 - y0)) * (h - pad.t - pad.b);
  for (const y of [y0, (y0 + y1) / 2, y1]) {
    s.append(el('line', { x1: pad.l, x2: w - pad.r, y1: Y(y), y2: Y(y), stroke: '#2a3441' }));
    s.append(el('text', { x: pad.l - 4, y: Y(y) + 4, fill: '#8b98a5', 'text-anchor': 'end', 'font-size': 12 }, f(y)));
  }
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join('');
  s.append(el('path', { d, fill: 'none', stroke: '#3b82f6', 'stroke-width': 1.8, 'data-testid': 'equity-line' }));
  const short = w < 480;
  const when = x => short ? new Date(x).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : new Date(x).toLocaleString();
  s.append(el('text', { x: pad.l, y: h - 4, fill: '#8b98a5', 'font-size': 12 }, when(x0)));
  s.append(el('text', { x: w - pad.r, y: h - 4, fill: '#8b98a5', 'font-size': 12, 'text-anchor': 'end' }, when(x1)));
  return s;
}

// levels: numbers; orders: [{side, price}]; price: number or null.
export function gridChart(levels, orders, price, { w = 640, h = 260, label = 'grid', fmt: f = fmt } = {}) {
  w = Math.max(260, Math.round(w));
  const s = svg(w, h, label);
  const left = 78, right = 90;
  const all = levels.concat(orders.map(o => o.price)).concat(price ? [price] : []);
  if (!all.length) return s;
  let [lo, hi] = extent(all);
  const m = (hi - lo) * 0.05; lo -= m; hi += m;
  const Y = y => 6 + (1 - (y - lo) / (hi - lo)) * (h - 12);
  for (const l of levels) {
    s.append(el('line', { x1: left, x2: w - right, y1: Y(l), y2: Y(l), stroke: '#2a3441', 'stroke-dasharray': '3 3' }));
  }
  for (const l of [levels[0], levels[levels.length - 1]]) {
    if (l !== undefined) s.append(el('text', { x: left - 4, y: Y(l) + 4, fill: '#8b98a5', 'text-anchor': 'end', 'font-size': 12 }, f(l)));
  }
  for (const o of orders) {
    const c = o.side === 'buy' ? '#4ade80' : '#f87171';
    s.append(el('line', { x1: left, x2: w - right, y1: Y(o.price), y2: Y(o.price), stroke: c, 'stroke-width': 1.2, 'data-testid': 'order-line', 'data-side': o.side }));
  }
  if (price) {
    s.append(el('line', { x1: left, x2: w - right, y1: Y(price), y2: Y(price), stroke: '#facc15', 'stroke-width': 2, 'data-testid': 'price-line' }));
    s.append(el('text', { x: w - right + 4, y: Y(price) + 4, fill: '#facc15', 'font-size': 12, 'data-testid': 'price-label' }, f(price)));
  }
  return s;
}
