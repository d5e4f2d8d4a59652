/**
 * The HTML sections of report.html, rendered on the server side (no script needed to read any
 * number). Each function returns an HTML fragment; every inserted string is escaped.
 */
import type { BacktestMetrics, TradeStats } from '../metrics.ts';
import type { HitRateRow, JournalReport, NullModelResult, RunResult, RunSignal, RunTrade, WalkForwardFold } from '../run-types.ts';
import { quantile } from '../stats.ts';
import type { ChartData } from './chart-data.ts';
import { rMultiple } from './chart-data.ts';
import { DASH, escapeHtml as h, fmtDuration, fmtInt, fmtMoney, fmtNum, fmtPct, fmtPctInterval, fmtPrice, fmtQty, fmtUtc } from './format.ts';

/** Rows of the signals table; the rest are counted, not listed. */
export const MAX_SIGNAL_ROWS = 500;
/** Rows of the per-trade table. */
export const MAX_TRADE_ROWS = 5000;

/** The significance level of the verdict (the engine claims an edge at p <= this with the per-trade CI above 0). */
export const VERDICT_ALPHA = 0.05;

const sign = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) || x === 0 ? '' : x > 0 ? 'pos' : 'neg');
const cls = (...names: string[]): string => {
  const n = names.filter(Boolean).join(' ');
  return n ? ` class="${n}"` : '';
};
const numCell = (text: string, tone = ''): string => `<td${cls('num', tone)}>${text}</td>`;
const textCell = (text: unknown): string => `<td>${h(text)}</td>`;

function table(head: readonly string[], rows: readonly string[], attrs = ''): string {
  const ths = head.map((c) => `<th scope="col">${h(c)}</th>`).join('');
  return `<div class="table-wrap"><table${attrs}><thead><tr>${ths}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></div>`;
}

// ---------------------------------------------------------------- header and warnings

export function headerSection(run: RunResult): string {
  const m = run.meta;
  const days = Number.isFinite(m.toMs - m.fromMs) ? (m.toMs - m.fromMs) / 86_400_000 : NaN;
  const rows: [string, string][] = [
    ['Symbol', h(m.symbol)],
    ['Venues', m.venues.length > 0 ? m.venues.map((v) => h(v)).join(', ') : DASH],
    ['Range (UTC)', `${h(fmtUtc(m.fromMs))} \u2192 ${h(fmtUtc(m.toMs))} <span class="sub">(${fmtNum(days, days < 10 ? 2 : 1)} days)</span>`],
    ['Strategy', h(m.strategy)],
    ...(m.features ? [['Features computed', m.features.length > 0 ? h(m.features.join(', ')) + ' <span class="sub">(only what the strategy reads)</span>' : DASH] as [string, string]] : []),
    ['Seed', h(String(m.seed))],
    ['Events replayed', fmtInt(m.events)],
    ['Initial equity', fmtNum(m.initialEquity, 2)],
  ];
  return `<header>
<h1>Backtest report: ${h(m.symbol)}</h1>
<p class="sub">orderflow backtester \u00b7 all times UTC \u00b7 money in quote currency</p>
<dl class="meta">${rows.map(([k, v]) => `<dt>${h(k)}</dt><dd>${v}</dd>`).join('')}</dl>
</header>`;
}

export function warningsSection(run: RunResult): string {
  const w = run.meta.warnings;
  if (w.length === 0) return '';
  return `<section class="box warnings" id="warnings" role="alert">
<h2>Warnings: read before trusting any number below</h2>
<ul>${w.map((x) => `<li>${h(x)}</li>`).join('')}</ul>
</section>`;
}

export function tocSection(run: RunResult): string {
  const links: [string, string][] = [
    ['verdict', 'Null-model verdict'],
    ...(run.walkForward ? ([['walk-forward', 'Walk-forward']] as [string, string][]) : []),
    ['metrics', 'Metrics'],
    ['charts', 'Charts'],
    ['trades', 'Trades'],
    ['breakdowns', 'Breakdowns'],
    ['journal', 'Prediction journal'],
    ['signals', 'Signals'],
    ['orders', 'Orders'],
    ['config', 'Config'],
  ];
  return `<nav class="toc">${links.map(([id, label]) => `<a href="#${id}">${h(label)}</a>`).join('')}</nav>`;
}

// ---------------------------------------------------------------- null model and walk-forward

/** An SVG histogram of the null runs' mean R per trade with a line at the real one. */
function nullHistogram(nm: NullModelResult): string {
  const xs = nm.nullMeanR.filter((x): x is number => x !== null && Number.isFinite(x));
  const real = nm.realMeanR;
  if (xs.length < 2 || real === null || !Number.isFinite(real)) return '';
  const lo = Math.min(...xs, real);
  const hi = Math.max(...xs, real);
  const span = hi - lo || 1;
  const bins = 30;
  const counts = new Array<number>(bins).fill(0);
  for (const x of xs) counts[Math.min(bins - 1, Math.floor(((x - lo) / span) * bins))]++;
  const W = 600;
  const H = 120;
  const pad = 18;
  const top = Math.max(...counts);
  const bw = (W - 2 * pad) / bins;
  const bars = counts
    .map((c, i) => {
      const bh = (c / top) * (H - 2 * pad);
      return `<rect x="${(pad + i * bw).toFixed(1)}" y="${(H - pad - bh).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="#9aa7b8"/>`;
    })
    .join('');
  const rx = pad + ((real - lo) / span) * (W - 2 * pad);
  return `<svg class="hist" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Histogram of the null runs' mean R per trade with the real run marked">
${bars}
<line x1="${rx.toFixed(1)}" x2="${rx.toFixed(1)}" y1="${pad - 6}" y2="${H - pad}" stroke="#c62828" stroke-width="2"/>
<text x="${Math.min(W - 60, rx + 4).toFixed(1)}" y="${pad}" font-size="11" fill="#c62828">real</text>
<text x="${pad}" y="${H - 4}" font-size="10" fill="#57606a">${h(fmtNum(lo, 2))} R</text>
<text x="${W - pad}" y="${H - 4}" font-size="10" fill="#57606a" text-anchor="end">${h(fmtNum(hi, 2))} R</text>
</svg>`;
}

const NULL_KIND: Record<string, string> = {
  shuffled_times: 'the same rules on signals at shuffled times',
  random_levels: 'the same rules at random cluster levels',
};

export function verdictSection(run: RunResult): string {
  const nm = run.nullModel;
  if (!nm) {
    return `<section class="box verdict none" id="verdict">
<h2>Null-model verdict</h2>
<p class="words">Null model: not run.</p>
<p>Without it, nothing in this report says whether the result differs from what random signals would produce. Treat every number below as unproven.</p>
</section>`;
  }
  // The engine decides (run-types NullModelResult.edge); the report only shows it.
  const edge = nm.edge;
  const xs = nm.nullMeanR.filter((x): x is number => x !== null && Number.isFinite(x));
  const q = (p: number): string => (xs.length > 0 ? `${fmtNum(quantile(xs, p), 3)} R` : DASH);
  const ci = nm.diffCI;
  const ciText = ci
    ? `${fmtNum(ci.estimate, 3)} R per trade, ${fmtNum(ci.confidence * 100, 0)}% bootstrap CI [${fmtNum(ci.lower, 3)}, ${fmtNum(ci.upper, 3)}] (${fmtInt(ci.resamples)} resamples of whole null runs${ci.nanResamples > 0 ? `, ${fmtInt(ci.nanResamples)} undefined` : ''})`
    : `${DASH} (not computed: too few trades)`;
  const withTrades = nm.nullTrades.filter((n) => n > 0).length;
  const rank = nm.realMeanR === null ? `The real run made no trade` : `The real run's mean <b>${fmtNum(nm.realMeanR, 3)} R</b> per trade (${fmtInt(nm.realTrades)} trades) ${nm.percentile === null ? 'cannot be ranked' : `sits at the <b>${fmtNum(nm.percentile * 100, 1)}th percentile</b>`}`;
  return `<section class="box verdict ${edge ? 'edge' : 'chance'}" id="verdict">
<h2>Null-model verdict</h2>
<p class="words">${h(nm.verdict)}</p>
<p>${rank} of ${fmtInt(nm.seeds)} null runs (${h(NULL_KIND[nm.kind] ?? nm.kind)}${nm.walkForward ? ', through the same walk-forward folds' : ''}; ${fmtInt(withTrades)} with trades); one-sided p-value <b>${fmtNum(nm.pValue, 3)}</b>${nm.pValue <= VERDICT_ALPHA ? '' : ` (> ${VERDICT_ALPHA}: random signals do this well often enough)`}.</p>
<p>Mean R per trade, real minus null: ${ciText}. An interval that contains 0 means no difference per trade can be claimed.</p>
<p class="note">Null runs' mean R: 5% ${q(0.05)}, median ${q(0.5)}, 95% ${q(0.95)}. Net return: real ${fmtPct(nm.realNetReturn)}, null median ${nm.nullNetReturns.length > 0 ? fmtPct(quantile([...nm.nullNetReturns], 0.5)) : DASH} (not compared: runs that trade more pay more fees).</p>
${nullHistogram(nm)}
</section>`;
}

function foldParams(chosen: WalkForwardFold['chosen']): string {
  const keys = Object.keys(chosen).sort();
  return keys.length === 0 ? DASH : keys.map((k) => `${h(k)}=${h(String(chosen[k]))}`).join(', ');
}

export function walkForwardSection(run: RunResult): string {
  const folds = run.walkForward;
  if (!folds) return '';
  if (folds.length === 0) {
    return `<section class="box headline" id="walk-forward"><h2>Walk-forward</h2><p>Walk-forward was requested but produced no folds.</p></section>`;
  }
  const compounded = folds.reduce((acc, f) => acc * (1 + f.outOfSampleNetReturn), 1) - 1;
  const trades = folds.reduce((s, f) => s + f.outOfSampleTrades, 0);
  const positive = folds.filter((f) => f.outOfSampleNetReturn > 0).length;
  const rows = folds.map((f, i) =>
    [
      `<tr><td class="num">${i + 1}</td>`,
      `<td class="nowrap">${h(fmtUtc(f.inSample.fromMs))} \u2192 ${h(fmtUtc(f.inSample.toMs))}</td>`,
      `<td class="nowrap">${h(fmtUtc(f.outOfSample.fromMs))} \u2192 ${h(fmtUtc(f.outOfSample.toMs))}</td>`,
      `<td>${foldParams(f.chosen)}</td>`,
      numCell(fmtNum(f.inSampleScore, 4)),
      numCell(fmtPct(f.outOfSampleNetReturn), sign(f.outOfSampleNetReturn)),
      numCell(fmtInt(f.outOfSampleTrades)),
      '</tr>',
    ].join(''),
  );
  return `<section class="box headline" id="walk-forward">
<h2>Walk-forward: out-of-sample results are the headline</h2>
<p class="words">Out-of-sample, compounded over ${folds.length} fold(s): <b class="${sign(compounded)}">${fmtPct(compounded)}</b> net return from ${fmtInt(trades)} trade(s); ${positive} of ${folds.length} fold(s) positive.</p>
<p class="note">Parameters were chosen on each in-sample window and then run unchanged on the next out-of-sample window. In-sample scores are shown only to judge overfitting: a high in-sample score with a poor out-of-sample return means the parameters were fitted to noise.</p>
${table(['Fold', 'In-sample (UTC)', 'Out-of-sample (UTC)', 'Chosen parameters', 'In-sample score', 'OOS net return', 'OOS trades'], rows)}
</section>`;
}

// ---------------------------------------------------------------- metrics

/** Notes of the form "name1, name2: text" keyed by name; the others stay general. */
export function splitNotes(notes: readonly string[]): { byMetric: Map<string, string[]>; general: string[] } {
  const byMetric = new Map<string, string[]>();
  const general: string[] = [];
  const known = new Set(['cagr', 'sharpe', 'sortino', 'avgR', 'netReturn', 'maxDrawdown', 'winRate', 'profitFactor', 'expectancy', 'exposure']);
  for (const n of notes) {
    const colon = n.indexOf(':');
    const names = colon > 0 ? n.slice(0, colon).split(',').map((s) => s.trim()) : [];
    if (names.length > 0 && names.every((x) => known.has(x))) {
      for (const x of names) {
        const list = byMetric.get(x) ?? [];
        list.push(n);
        byMetric.set(x, list);
      }
    } else general.push(n);
  }
  return { byMetric, general };
}

function fmtPF(pf: number | null): string {
  return pf === Infinity ? '\u221e' : fmtNum(pf, 2);
}

export function metricsSection(m: BacktestMetrics, hasWalkForward: boolean): string {
  const { byMetric, general } = splitNotes(m.notes);
  const row = (label: string, key: string, value: string, detail: string, isNull: boolean, tone = ''): string => {
    const notes = byMetric.get(key) ?? [];
    const noteText = notes.length > 0 ? notes.map((n) => h(n)).join('<br>') : isNull ? 'undefined for this run' : '';
    return `<tr><th scope="row">${h(label)}</th><td${cls('num', 'val', tone)}>${value}</td><td>${detail}</td><td class="note">${noteText}</td></tr>`;
  };
  const dd = m.maxDrawdown;
  const ddDetail = dd.peakTs !== null ? `${fmtNum(dd.quote, 2)} quote; peak ${h(fmtUtc(dd.peakTs))}, trough ${h(fmtUtc(dd.troughTs))}, ${dd.recoveryTs !== null ? `recovered ${h(fmtUtc(dd.recoveryTs))}` : 'not recovered'}` : `${fmtNum(dd.quote, 2)} quote`;
  const rows = [
    row('Net return', 'netReturn', fmtPct(m.netReturn), `${fmtNum(m.initialEquity, 2)} \u2192 ${fmtNum(m.finalEquity, 2)}`, false, sign(m.netReturn)),
    row('CAGR', 'cagr', fmtPct(m.cagr), `over ${fmtNum(m.spanDays, 2)} days`, m.cagr === null, sign(m.cagr)),
    row('Max drawdown', 'maxDrawdown', fmtPct(dd.fraction), ddDetail, false, dd.fraction > 0 ? 'neg' : ''),
    row('Sharpe (daily, annualised)', 'sharpe', fmtNum(m.sharpe, 2), `${fmtInt(m.dailyReturnCount)} daily returns`, m.sharpe === null),
    row('Sortino (daily, annualised)', 'sortino', fmtNum(m.sortino, 2), '', m.sortino === null),
    row('Win rate', 'winRate', fmtPct(m.winRate, 1), m.winRateCI ? `95% CI ${fmtPctInterval(m.winRateCI)}; ${fmtInt(m.wins)} wins, ${fmtInt(m.losses)} losses` : '', m.winRate === null),
    row('Profit factor', 'profitFactor', fmtPF(m.profitFactor), `gross profit ${fmtNum(m.grossProfit, 2)} / gross loss ${fmtNum(m.grossLoss, 2)}`, m.profitFactor === null),
    row('Expectancy', 'expectancy', fmtMoney(m.expectancy), 'net pnl per trade', m.expectancy === null, sign(m.expectancy)),
    row('Average R', 'avgR', fmtNum(m.avgR, 2), `over ${fmtInt(m.rCount)} trade(s) with risk > 0`, m.avgR === null, sign(m.avgR)),
    row('Exposure', 'exposure', fmtPct(m.exposure, 1), 'share of the range with a position open', false),
    row('Fees paid', 'fees', fmtNum(m.feesPaid, 2), 'negative = rebates', false),
    row('Funding paid', 'funding', fmtNum(m.fundingPaid, 2), 'negative = received', false),
    row('Own liquidations', 'liquidations', fmtInt(m.liquidations), '', false, m.liquidations > 0 ? 'neg' : ''),
    row('Trades', 'trades', fmtInt(m.tradeCount), `net pnl ${fmtMoney(m.netPnl)}`, false),
  ];
  const wf = hasWalkForward ? '<p class="note">Walk-forward: these metrics are the out-of-sample folds only, each run with the parameters chosen on the window before it.</p>' : '';
  const gen = general.length > 0 ? `<h3>Notes</h3><ul class="note">${general.map((n) => `<li>${h(n)}</li>`).join('')}</ul>` : '';
  return `<section id="metrics">
<h2>${hasWalkForward ? 'Headline metrics (out-of-sample)' : 'Headline metrics'}</h2>
${wf}${table(['Metric', 'Value', 'Detail', 'Note'], rows, ' class="metrics"')}
${gen}
</section>`;
}

// ---------------------------------------------------------------- charts

export function chartsSection(run: RunResult, c: ChartData): string {
  const notes: string[] = [];
  if (c.barsMerged > 1) notes.push(`${c.barsMerged} bars merged into each chart bar to keep the report small.`);
  if (c.equityPoints.drawn < c.equityPoints.input) notes.push(`Equity curve thinned to ${fmtInt(c.equityPoints.drawn)} points (every bucket keeps its first, lowest, highest and last point).`);
  if (c.tradesOffChart > 0) notes.push(`${c.tradesOffChart} trade(s) outside the price bars' time range are not marked.`);
  if (run.meta.features && !run.meta.features.includes('absorption') && !run.meta.features.includes('zones')) notes.push('Zones were not computed: the strategy reads neither absorption nor zones.');
  if (c.zonesOffChart > 0) notes.push(`${c.zonesOffChart} zone(s) outside the price bars' time range are not drawn.`);
  const equity = c.equity.length > 0 ? '<div class="chart" id="chart-equity"></div>' : '<div class="empty">No equity curve.</div>';
  const price = c.bars.length > 0 ? '<div class="chart price" id="chart-price"></div>' : '<div class="empty">No price bars in this run: nothing to chart.</div>';
  const noTrades = run.trades.length === 0 ? '<p class="empty">No trades.</p>' : '';
  const fit = c.levels.length > 0 ? '<label id="fit-levels-label"><input type="checkbox" id="fit-levels"> fit stops, targets and liquidation prices into the price axis</label>' : '';
  return `<section id="charts">
<h2>Charts</h2>
<noscript><p class="box error">The charts need JavaScript; every table in this report works without it.</p></noscript>
<div class="box error" id="script-error" hidden></div>
<h3>Equity and drawdown</h3>
<p class="note">Top: account equity (quote, marked to market where the engine recorded it). Bottom: drawdown from the running peak, in percent.</p>
${equity}
<h3>Price, trades and zones</h3>
<p class="legend note"><span><span class="swatch" style="background:rgba(46,125,50,0.25)"></span>long zone (support)</span><span><span class="swatch" style="background:rgba(198,40,40,0.25)"></span>short zone (resistance)</span><span>solid border = realized, dashed = predicted</span><span style="color:#1565c0">\u25b2 long entry</span><span style="color:#e65100">\u25bc short entry</span><span>exit: green win, red loss, with R</span><span style="color:#c62828">\u2014 stop</span><span style="color:#2e7d32">\u2014 target</span><span style="color:#6a1b9a">\u2014 liquidation price</span></p>
${fit}
${price}
${noTrades}
${notes.length > 0 ? `<ul class="note">${notes.map((n) => `<li>${h(n)}</li>`).join('')}</ul>` : ''}
</section>`;
}

// ---------------------------------------------------------------- trades and breakdowns

export function tradesSection(run: RunResult, decimals: number): string {
  if (run.trades.length === 0) return `<section id="trades"><h2>Trades</h2><p class="empty">No trades.</p></section>`;
  const sorted = [...run.trades].sort((a, b) => a.entryTs - b.entryTs || a.id - b.id);
  const shown = sorted.slice(0, MAX_TRADE_ROWS);
  const p = (x: number | null): string => fmtPrice(x, decimals);
  const rows = shown.map((t: RunTrade) => {
    const r = rMultiple(t);
    return [
      `<tr${t.liquidated ? ' class="liquidated"' : ''}>`,
      numCell(String(t.id)),
      `<td class="nowrap">${h(fmtUtc(t.entryTs))}</td>`,
      `<td class="nowrap">${h(fmtUtc(t.exitTs))}</td>`,
      `<td class="${t.side === 'long' ? 'pos' : 'neg'}">${h(t.side)}</td>`,
      textCell(t.venue),
      textCell(t.signal),
      numCell(p(t.entryPrice)),
      numCell(p(t.exitPrice)),
      numCell(fmtQty(t.qty)),
      numCell(`${fmtNum(t.leverage, 1)}\u00d7`),
      numCell(p(t.stop)),
      numCell(p(t.target)),
      numCell(p(t.liquidationPrice)),
      numCell(fmtNum(t.fees, 2)),
      numCell(fmtNum(t.funding, 2)),
      numCell(fmtMoney(t.pnl), sign(t.pnl)),
      numCell(fmtNum(r, 2), sign(r)),
      textCell(t.exitReason + (t.liquidated && t.exitReason !== 'liquidation' ? ' (liquidated)' : '')),
      '</tr>',
    ].join('');
  });
  const omitted = sorted.length - shown.length;
  return `<section id="trades">
<h2>Trades (${fmtInt(run.trades.length)})</h2>
<p class="note">Fees and funding are paid amounts (negative = received); pnl is net of both. R = pnl / risk at entry. Liquidated trades are shaded.</p>
${table(['#', 'Entry (UTC)', 'Exit (UTC)', 'Side', 'Venue', 'Signal', 'Entry', 'Exit', 'Qty', 'Lev', 'Stop', 'Target', 'Liq price', 'Fees', 'Funding', 'PnL', 'R', 'Exit reason'], rows)}
${omitted > 0 ? `<p class="note">${fmtInt(omitted)} more trade(s) not listed; the run folder's trades file has all of them.</p>` : ''}
</section>`;
}

function statsTable(title: string, groups: Readonly<Record<string, TradeStats>>): string {
  const keys = Object.keys(groups).sort();
  if (keys.length === 0) return `<h3>${h(title)}</h3><p class="empty">No trades.</p>`;
  const rows = keys.map((k) => {
    const s = groups[k];
    return [
      '<tr>',
      textCell(k),
      numCell(fmtInt(s.count)),
      numCell(`${fmtPct(s.winRate, 1)} <span class="sub">${fmtPctInterval(s.winRateCI)}</span>`),
      numCell(fmtMoney(s.netPnl), sign(s.netPnl)),
      numCell(fmtMoney(s.expectancy), sign(s.expectancy)),
      numCell(fmtNum(s.avgR, 2), sign(s.avgR)),
      numCell(fmtPF(s.profitFactor)),
      numCell(fmtNum(s.fees, 2)),
      numCell(fmtNum(s.funding, 2)),
      numCell(fmtInt(s.liquidations)),
      '</tr>',
    ].join('');
  });
  return `<h3>${h(title)}</h3>${table(['Group', 'Trades', 'Win rate [95% CI]', 'Net pnl', 'Expectancy', 'Avg R', 'Profit factor', 'Fees', 'Funding', 'Liquidations'], rows)}`;
}

export function breakdownsSection(m: BacktestMetrics): string {
  return `<section id="breakdowns">
<h2>Breakdowns</h2>
<p class="note">Small groups have wide intervals: a win rate whose interval spans 50% says nothing either way.</p>
${statsTable('By session (at entry)', m.bySession)}
${statsTable('By venue', m.byVenue)}
${statsTable('By signal type', m.bySignal)}
</section>`;
}

// ---------------------------------------------------------------- journal

const GROUP_ORDER: Record<HitRateRow['group'], number> = { all: 0, type: 1, session: 2, venue: 3 };

/** The hit-rate tables of a journal (a backtest's, or a paper session's: `journal report --html`). */
export function journalSection(j: Pick<JournalReport, 'horizonsMs' | 'hitRates'> & { readonly predictionCount: number }): string {
  const horizons = [...new Set([...j.horizonsMs, ...j.hitRates.map((r) => r.horizonMs)])].sort((a, b) => a - b);
  const intro = `<p>${fmtInt(j.predictionCount)} prediction(s). A hit is a positive return in the predicted direction at the horizon. Unresolved predictions (data ended before the horizon) count in no rate. Definitions: docs/JOURNAL.md.</p>`;
  if (j.hitRates.length === 0) {
    return `<section id="journal"><h2>Prediction journal</h2>${intro}<p class="empty">No hit rates: no resolved predictions.</p></section>`;
  }
  const parts = horizons.map((hz) => {
    const rows = j.hitRates
      .filter((r) => r.horizonMs === hz)
      .sort((a, b) => GROUP_ORDER[a.group] - GROUP_ORDER[b.group] || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((r) =>
        [
          `<tr${r.group === 'all' ? ' style="font-weight:600"' : ''}>`,
          textCell(r.group),
          textCell(r.key),
          numCell(fmtInt(r.n)),
          numCell(fmtInt(r.hits)),
          numCell(`${fmtPct(r.hitRate, 1)} <span class="sub">${fmtPctInterval(r.ci)}</span>`),
          numCell(r.n > 0 ? fmtPct(r.touched / r.n, 1) : DASH),
          numCell(r.n > 0 ? fmtPct(r.rejected / r.n, 1) : DASH),
          numCell(r.n > 0 ? fmtPct(r.brokeThrough / r.n, 1) : DASH),
          numCell(fmtNum(r.meanReturnBps, 1), sign(r.meanReturnBps)),
          numCell(fmtNum(r.meanMfeBps, 1)),
          numCell(fmtNum(r.meanMaeBps, 1)),
          '</tr>',
        ].join(''),
      );
    if (rows.length === 0) return `<h3>Horizon ${h(fmtDuration(hz))}</h3><p class="empty">No resolved predictions.</p>`;
    return `<h3>Horizon ${h(fmtDuration(hz))}</h3>${table(['Group', 'Key', 'Resolved', 'Hits', 'Hit rate [95% CI]', 'Touched', 'Rejected', 'Broke through', 'Mean return (bps)', 'Mean MFE (bps)', 'Mean MAE (bps)'], rows)}`;
  });
  return `<section id="journal">
<h2>Prediction journal: hit rates</h2>
${intro}
${parts.join('\n')}
</section>`;
}

// ---------------------------------------------------------------- signals and orders

function evidenceText(e: RunSignal['evidence']): string {
  const keys = Object.keys(e).sort();
  return keys
    .map((k) => {
      const v = e[k];
      const text = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(5)))) : v === null ? 'null' : v;
      return `${k}=${text}`;
    })
    .join('; ');
}

export function signalsSection(run: RunResult, decimals: number): string {
  const all = run.signals;
  if (all.length === 0) return `<section id="signals"><h2>Signals</h2><p class="empty">No signals.</p></section>`;
  const acted = all.filter((s) => s.acted).length;
  const reasons = new Map<string, number>();
  for (const s of all) if (!s.acted) reasons.set(s.vetoReason ?? '(no reason given)', (reasons.get(s.vetoReason ?? '(no reason given)') ?? 0) + 1);
  const reasonRows = [...reasons.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([r, n]) => `<tr>${textCell(r)}${numCell(fmtInt(n))}${numCell(fmtPct(n / all.length, 1))}</tr>`);
  const sorted = [...all].sort((a, b) => a.ts - b.ts || a.id - b.id);
  const shown = sorted.slice(0, MAX_SIGNAL_ROWS);
  const rows = shown.map((s) =>
    [
      '<tr>',
      numCell(String(s.id)),
      `<td class="nowrap">${h(fmtUtc(s.ts))}</td>`,
      textCell(s.type),
      `<td class="${s.direction === 'long' ? 'pos' : 'neg'}">${h(s.direction)}</td>`,
      numCell(fmtPrice(s.level, decimals)),
      textCell(s.venue),
      textCell(s.session),
      textCell(s.acted ? 'yes' : 'no'),
      textCell(s.vetoReason ?? ''),
      `<td class="note">${h(evidenceText(s.evidence))}</td>`,
      '</tr>',
    ].join(''),
  );
  const omitted = all.length - shown.length;
  return `<section id="signals">
<h2>Signals (${fmtInt(all.length)})</h2>
<p>${fmtInt(acted)} acted on, ${fmtInt(all.length - acted)} not.</p>
${reasonRows.length > 0 ? `<h3>Why signals were not acted on</h3>${table(['Reason', 'Signals', 'Share of all'], reasonRows)}` : ''}
<h3>Signal list${omitted > 0 ? ` (first ${fmtInt(shown.length)})` : ''}</h3>
${omitted > 0 ? `<p class="note">Showing the first ${fmtInt(shown.length)} of ${fmtInt(all.length)} signals by time; ${fmtInt(omitted)} omitted (the run folder's signals file has all of them).</p>` : ''}
${table(['#', 'Time (UTC)', 'Type', 'Direction', 'Level', 'Venue', 'Session', 'Acted', 'Veto / refusal reason', 'Evidence'], rows)}
</section>`;
}

export function ordersSection(run: RunResult): string {
  const orders = run.orders;
  if (orders.length === 0) return `<section id="orders"><h2>Orders</h2><p class="empty">No orders.</p></section>`;
  const keys = [...new Set(orders.map((o) => `${o.type}\u0000${o.reason}`))].sort();
  const rows = keys.map((k) => {
    const [type, reason] = k.split('\u0000');
    const group = orders.filter((o) => o.type === type && o.reason === reason);
    const count = (st: string): number => group.filter((o) => o.status === st).length;
    const slips = group.map((o) => o.slippageBps).filter((x): x is number => x !== null && Number.isFinite(x));
    const meanSlip = slips.length > 0 ? slips.reduce((a, b) => a + b, 0) / slips.length : null;
    return `<tr>${textCell(type)}${textCell(reason)}${numCell(fmtInt(group.length))}${numCell(fmtInt(count('filled')))}${numCell(fmtInt(count('cancelled')))}${numCell(fmtInt(count('rejected')))}${numCell(fmtInt(count('expired')))}${numCell(fmtNum(meanSlip, 2))}${numCell(fmtNum(group.reduce((a, o) => a + o.fee, 0), 2))}</tr>`;
  });
  return `<section id="orders">
<h2>Orders (${fmtInt(orders.length)})</h2>
<p class="note">Slippage: fill price against the last trade at arrival, signed against the order (positive = paid worse), in basis points.</p>
${table(['Type', 'Reason', 'Orders', 'Filled', 'Cancelled', 'Rejected', 'Expired', 'Mean slippage (bps)', 'Fees'], rows)}
</section>`;
}

export function configSection(run: RunResult): string {
  let text: string;
  try {
    text = JSON.stringify(run.meta.config, null, 2) ?? 'undefined';
  } catch (e) {
    text = `(config could not be shown: ${(e as Error).message})`;
  }
  return `<section id="config">
<h2>Strategy config</h2>
<details><summary>The validated config, defaults filled in</summary><pre>${h(text)}</pre></details>
</section>`;
}
