/**
 * The realism table and plots (docs/SIMULATOR.md "Realism"): stylized facts of several tapes side
 * by side, as Markdown, and hand-written SVG (no plotting dependency). Pure: strings out, every
 * number printed with fixed rules, so the same inputs give the same bytes.
 */
import { autocorrelation, gridLogReturns, type MarketColumns, type StylizedFacts } from './stylized-facts.ts';

/** One column of the table: a tape, its figures, and the columns the plots read. */
export interface RealismColumn {
  /** Column header, e.g. `Binance BTCUSDT 2024-08-08`. */
  readonly label: string;
  readonly facts: StylizedFacts;
  readonly columns: MarketColumns;
}

/** 3 significant digits, plain notation up to 1e9; `n/a` for NaN (too little data). */
export function fmt(x: number, digits = 3): string {
  if (Number.isNaN(x)) return 'n/a';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  return Number(x.toPrecision(digits)).toString();
}

const pct = (x: number): string => (Number.isNaN(x) ? 'n/a' : `${fmt(100 * x)}%`);
const int = (x: number): string => (Number.isNaN(x) ? 'n/a' : Math.round(x).toLocaleString('en-US'));

/** The table: one row per figure, one column per tape. */
export function realismTable(cols: readonly RealismColumn[]): string {
  const rows: [string, (f: StylizedFacts) => string][] = [
    ['trades span (s)', (f) => fmt(f.spanMs / 1000)],
    ['prints', (f) => int(f.sizes.prints)],
    ['volume share of the top 1% of prints', (f) => pct(f.sizes.top1Share)],
    ['volume share of the top 10% of prints', (f) => pct(f.sizes.top10Share)],
    ['median print (quote notional)', (f) => fmt(f.sizes.medianNotional)],
    ['p99 print (quote notional)', (f) => fmt(f.sizes.p99Notional)],
    ['Hill tail index of print notional (k)', (f) => (Number.isNaN(f.sizes.hillAlpha) ? 'n/a' : `${fmt(f.sizes.hillAlpha)} (${f.sizes.hillK})`)],
    ['inter-trade gap mean / median (ms)', (f) => `${fmt(f.gaps.meanMs)} / ${fmt(f.gaps.medianMs)}`],
    ['inter-trade gap CV (Poisson = 1)', (f) => fmt(f.gaps.cv)],
    ['share of zero gaps', (f) => pct(f.gaps.zeroShare)],
  ];
  const steps = cols[0]?.facts.returns.map((r) => r.stepMs) ?? [];
  steps.forEach((step, i) => {
    const s = step >= 1000 ? `${step / 1000} s` : `${step} ms`;
    rows.push(
      [`${s} returns: count`, (f) => int(f.returns[i].returns.returns)],
      [`${s} returns: std (bps)`, (f) => fmt(f.returns[i].returns.std * 1e4)],
      [`${s} returns: excess kurtosis`, (f) => fmt(f.returns[i].returns.excessKurtosis)],
      [`${s} \\|r\\| ACF lag 1 / 5 / 20`, (f) => [f.returns[i].clustering.absAcf1, f.returns[i].clustering.absAcf5, f.returns[i].clustering.absAcf20].map((x) => fmt(x, 2)).join(' / ')],
      [`${s} r ACF lag 1`, (f) => fmt(f.returns[i].clustering.rawAcf1, 2)],
    );
  });
  rows.push(
    ['liquidations (in 5 min windows)', (f) => int(f.liquidations.liquidations)],
    ['move windows / windows (top decile of \\|5 min r\\|)', (f) => `${int(f.liquidations.moveWindows)} / ${int(f.liquidations.windows)}`],
    ['forced sells / buys in moves', (f) => `${int(f.liquidations.moveSells)} / ${int(f.liquidations.moveBuys)}`],
    ['forced sells / buys in calm', (f) => `${int(f.liquidations.calmSells)} / ${int(f.liquidations.calmBuys)}`],
    ['liquidation rate, move / calm window', (f) => fmt(f.liquidations.rateRatio)],
    ['liquidation notional share in moves', (f) => pct(f.liquidations.moveNotionalShare)],
    ['move liquidation notional going with the move', (f) => pct(f.liquidations.withMoveShare)],
    ['book samples (100 ms)', (f) => int(f.book.samples)],
    ['spread median / p90 (ticks)', (f) => `${fmt(f.book.spreadTicksMedian)} / ${fmt(f.book.spreadTicksP90)}`],
    ['spread median / p90 (bps)', (f) => `${fmt(f.book.spreadBpsMedian)} / ${fmt(f.book.spreadBpsP90)}`],
    ['depth within 10 bps, both sides, median / p90 (quote)', (f) => `${fmt(f.book.depthMedian)} / ${fmt(f.book.depthP90)}`],
  );
  const head = `| figure | ${cols.map((c) => c.label).join(' | ')} |`;
  const rule = `|---|${cols.map(() => '---').join('|')}|`;
  return [head, rule, ...rows.map(([name, get]) => `| ${name} | ${cols.map((c) => get(c.facts)).join(' | ')} |`)].join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// SVG

const W = 640;
const H = 400;
const M = { l: 64, r: 16, t: 28, b: 48 };
const PW = W - M.l - M.r;
const PH = H - M.t - M.b;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
const n1 = (x: number): string => x.toFixed(1);

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Where the legend goes: the corner of the plot the data leaves empty. */
type Corner = 'top-left' | 'top-right' | 'bottom-left';

function frame(title: string, xLabel: string, yLabel: string, body: string[], legend: readonly string[], corner: Corner, axes: string[] = []): string {
  const x0 = corner === 'top-right' ? M.l + PW - 300 : M.l + 8;
  const y0 = corner === 'bottom-left' ? M.t + PH - 8 - legend.length * 16 : M.t + 6;
  const items = legend.map((l, i) => `<rect x="${x0}" y="${y0 + i * 16}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${x0 + 14}" y="${y0 + 9 + i * 16}">${esc(l)}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<defs><clipPath id="plot"><rect x="${M.l}" y="${M.t}" width="${PW}" height="${PH}"/></clipPath></defs>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>`,
    ...axes,
    `<g clip-path="url(#plot)">`,
    ...body,
    '</g>',
    `<rect x="${M.l}" y="${M.t}" width="${PW}" height="${PH}" fill="none" stroke="#888"/>`,
    `<text x="${M.l + PW / 2}" y="${H - 8}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="14" y="${M.t + PH / 2}" text-anchor="middle" transform="rotate(-90 14 ${M.t + PH / 2})">${esc(yLabel)}</text>`,
    ...items,
    '</svg>',
    '',
  ].join('\n');
}

/** Decade ticks of a log axis between 10^lo and 10^hi. */
function logTicks(lo: number, hi: number, pos: (e: number) => number, horizontal: boolean): string[] {
  const out: string[] = [];
  for (let e = Math.ceil(lo); e <= Math.floor(hi); e++) {
    const p = n1(pos(e));
    out.push(
      horizontal
        ? `<line x1="${p}" y1="${M.t}" x2="${p}" y2="${M.t + PH}" stroke="#eee"/><text x="${p}" y="${M.t + PH + 14}" text-anchor="middle">1e${e}</text>`
        : `<line x1="${M.l}" y1="${p}" x2="${M.l + PW}" y2="${p}" stroke="#eee"/><text x="${M.l - 4}" y="${n1(pos(e) + 4)}" text-anchor="end">1e${e}</text>`,
    );
  }
  return out;
}

/**
 * Log-log complementary CDF of print notional, P(X >= x), one line per tape. A power-law tail
 * P(X >= x) ~ x^-alpha is a straight line of slope -alpha; an exponential law bends down.
 */
export function sizeCcdfSvg(cols: readonly RealismColumn[]): string {
  const series = cols
    .filter((c) => c.columns.trades.length >= 2)
    .map((c) => {
      const t = c.columns.trades;
      const x = Float64Array.from({ length: t.length }, (_, i) => t.price[i] * t.qty[i]).sort();
      return { label: c.label, x };
    });
  let lo = Infinity;
  let hi = -Infinity;
  let minP = 0;
  for (const s of series) {
    lo = Math.min(lo, Math.log10(Math.max(s.x[0], 1e-12)));
    hi = Math.max(hi, Math.log10(s.x[s.x.length - 1]));
    minP = Math.min(minP, Math.log10(1 / s.x.length));
  }
  lo = Math.floor(lo);
  hi = Math.ceil(hi);
  minP = Math.floor(minP);
  const X = (e: number): number => M.l + ((e - lo) / (hi - lo || 1)) * PW;
  const Y = (e: number): number => M.t + (e / (minP || -1)) * PH;
  const axes = [...logTicks(lo, hi, X, true), ...logTicks(minP, 0, Y, false)];
  const body: string[] = [];
  series.forEach((s, k) => {
    const n = s.x.length;
    const pts: string[] = [];
    // At most ~300 points, log-spaced in rank so the tail keeps every print.
    let last = -1;
    for (let j = 0; j <= 300; j++) {
      const rank = Math.min(n - 1, Math.round(n - n ** (1 - j / 300)));
      if (rank === last) continue;
      last = rank;
      if (!(s.x[rank] > 0)) continue;
      pts.push(`${n1(X(Math.log10(s.x[rank])))},${n1(Y(Math.log10((n - rank) / n)))}`);
    }
    body.push(`<polyline fill="none" stroke="${COLORS[k % COLORS.length]}" stroke-width="1.5" points="${pts.join(' ')}"/>`);
  });
  return frame('Print size: complementary CDF (log-log)', 'print notional (quote)', 'P(size >= x)', body, series.map((s) => s.label), 'bottom-left', axes);
}

/**
 * Bars of the autocorrelation of |r| at lags 1..maxLag (returns on a `stepMs` grid), one group per
 * lag, with the +-1.96/sqrt(n) band of an iid series per tape (dashed).
 */
export function absAcfSvg(cols: readonly RealismColumn[], stepMs: number, maxLag = 20): string {
  const series = cols.map((c) => {
    const t = c.columns.trades;
    const abs = Float64Array.from(gridLogReturns(t.ts, t.price, stepMs, t.length), Math.abs);
    return { label: `${c.label} (n=${abs.length})`, acf: Array.from({ length: maxLag }, (_, i) => autocorrelation(abs, i + 1)), n: abs.length };
  });
  const yMax = 0.5;
  const yMin = -0.25;
  const Y = (v: number): number => M.t + ((yMax - Math.max(yMin, Math.min(yMax, v))) / (yMax - yMin)) * PH;
  const group = PW / maxLag;
  const bw = (group * 0.8) / Math.max(1, series.length);
  const body: string[] = [];
  const axes: string[] = [];
  for (let v = yMin; v <= yMax + 1e-9; v += 0.25) axes.push(`<line x1="${M.l}" y1="${n1(Y(v))}" x2="${M.l + PW}" y2="${n1(Y(v))}" stroke="${v === 0 ? '#888' : '#eee'}"/><text x="${M.l - 4}" y="${n1(Y(v) + 4)}" text-anchor="end">${v.toFixed(2)}</text>`);
  for (let lag = 1; lag <= maxLag; lag++) if (lag === 1 || lag % 5 === 0) axes.push(`<text x="${n1(M.l + (lag - 0.5) * group)}" y="${M.t + PH + 14}" text-anchor="middle">${lag}</text>`);
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    s.acf.forEach((v, i) => {
      if (Number.isNaN(v)) return;
      const x = M.l + i * group + group * 0.1 + k * bw;
      const y0 = Y(0);
      const y1 = Y(v);
      body.push(`<rect x="${n1(x)}" y="${n1(Math.min(y0, y1))}" width="${n1(bw)}" height="${n1(Math.abs(y1 - y0))}" fill="${color}"/>`);
    });
    if (s.n > 0) {
      const band = 1.96 / Math.sqrt(s.n);
      for (const b of [band, -band]) body.push(`<line x1="${M.l}" y1="${n1(Y(b))}" x2="${M.l + PW}" y2="${n1(Y(b))}" stroke="${color}" stroke-dasharray="4 3"/>`);
    }
  });
  const step = stepMs >= 1000 ? `${stepMs / 1000} s` : `${stepMs} ms`;
  return frame(`Volatility clustering: ACF of |${step} returns| (dashed: iid 95% band)`, 'lag (steps)', 'autocorrelation', body, series.map((s) => s.label), 'top-right', axes);
}

/**
 * Histogram (density, log scale) of standardized `stepMs` returns, z = (r - mean) / std, bins of
 * 0.5 from -10 to 10 (points), against the standard normal density (black): fat tails sit above
 * it far from 0. The spike at 0 is the share of intervals in which the price did not change.
 */
export function returnHistogramSvg(cols: readonly RealismColumn[], stepMs: number): string {
  const lo = -10;
  const hi = 10;
  const width = 0.5;
  const bins = (hi - lo) / width;
  const yLo = -5;
  const X = (z: number): number => M.l + ((z - lo) / (hi - lo)) * PW;
  // Up to density 10: the spike at 0 (unchanged price) of a sparse tape exceeds 1.
  const yHi = 1;
  const ly = (e: number): number => M.t + ((yHi - e) / (yHi - yLo)) * PH;
  const Y = (d: number): number => ly(Math.max(yLo, Math.log10(d)));
  const body: string[] = [];
  const axes = logTicks(yLo, yHi, ly, false);
  for (let z = lo; z <= hi; z += 5) axes.push(`<text x="${n1(X(z))}" y="${M.t + PH + 14}" text-anchor="middle">${z}</text>`);
  const normal: string[] = [];
  for (let z = lo; z <= hi + 1e-9; z += 0.1) {
    const d = Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI);
    if (Math.log10(d) >= yLo) normal.push(`${n1(X(z))},${n1(Y(d))}`);
  }
  body.push(`<polyline fill="none" stroke="#000" stroke-width="1.5" points="${normal.join(' ')}"/>`);
  const labels: string[] = [];
  for (const c of cols) {
    const t = c.columns.trades;
    const r = gridLogReturns(t.ts, t.price, stepMs, t.length);
    const n = r.length;
    if (n < 2) continue;
    let m = 0;
    for (let i = 0; i < n; i++) m += r[i];
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (r[i] - m) ** 2;
    const sd = Math.sqrt(v / n);
    if (!(sd > 0)) continue;
    const counts = new Float64Array(bins);
    for (let i = 0; i < n; i++) {
      const b = Math.floor(((r[i] - m) / sd - lo) / width);
      counts[Math.max(0, Math.min(bins - 1, b))]++;
    }
    const pts: string[] = [];
    counts.forEach((cnt, b) => {
      if (cnt > 0) pts.push(`${n1(X(lo + (b + 0.5) * width))},${n1(Y(cnt / n / width))}`);
    });
    const color = COLORS[labels.length % COLORS.length];
    labels.push(`${c.label} (n=${n})`);
    for (const p of pts) {
      const [x, y] = p.split(',');
      body.push(`<circle cx="${x}" cy="${y}" r="2.5" fill="${color}"/>`);
    }
  }
  const step = stepMs >= 1000 ? `${stepMs / 1000} s` : `${stepMs} ms`;
  return frame(`Standardized ${step} returns vs the normal law (black)`, 'z = (r - mean) / std (beyond +-10 in the end bins)', 'density (log)', body, labels, 'top-left', axes);
}
