/**
 * report.html: one self-contained HTML document for a backtest run (RunResult, run-types.ts).
 *
 * Self-contained means it opens from disk with no network: the lightweight-charts standalone
 * bundle is inlined, the chart data is embedded as JSON in a `<script type="application/json">`,
 * and a Content-Security-Policy forbids every fetch. Every table is plain HTML rendered here, so
 * the numbers are readable without JavaScript; only the two charts need it.
 *
 * Escaping: text goes through escapeHtml; the embedded JSON has `<`, `>`, `&`, U+2028 and U+2029
 * as \u escapes, so no string in the run (a symbol, a signal type, a veto reason) can end the
 * script element or inject markup. The output depends only on the run: same run, same bytes.
 *
 * What each section shows and how to read it: docs/REPORT.md. Layout of the modules:
 * report/format.ts (escaping, number formats), report/chart-data.ts (what the charts draw),
 * report/sections.ts (the HTML), report/page-script.ts (the inline chart script, with the zone
 * and level series primitive), report/styles.ts (CSS).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { metricsToJson } from './metrics.ts';
import type { RunResult } from './run-types.ts';
import { buildChartData, type ChartData } from './report/chart-data.ts';
import { fmtUtc, scriptSafeJson } from './report/format.ts';
import { ERROR_HOOK_SCRIPT, PAGE_SCRIPT } from './report/page-script.ts';
import { documentHead } from './report/document.ts';
import {
  breakdownsSection,
  chartsSection,
  configSection,
  headerSection,
  journalSection,
  metricsSection,
  ordersSection,
  signalsSection,
  tocSection,
  tradesSection,
  verdictSection,
  walkForwardSection,
  warningsSection,
} from './report/sections.ts';

export { buildChartData, type ChartData } from './report/chart-data.ts';
export { escapeHtml, scriptSafeJson } from './report/format.ts';
export { MAX_SIGNAL_ROWS, MAX_TRADE_ROWS } from './report/sections.ts';

export type ReportErrorCode = 'E_REPORT_LIBRARY';

/** Engine layer: the report cannot be built (the charting library is missing or not the expected bundle). */
export class ReportError extends Error {
  override readonly name = 'ReportError';
  constructor(
    readonly code: ReportErrorCode,
    detail: string,
  ) {
    super(detail);
  }
}

/** The bundle that defines the global `LightweightCharts`, relative to the package folder. */
export const LIGHTWEIGHT_CHARTS_BUNDLE = 'dist/lightweight-charts.standalone.production.js';

/** File name of the report in a run folder. */
export const REPORT_FILE = 'report.html';

/** Version of the embedded JSON payload (`#report-data`). */
export const REPORT_DATA_VERSION = 1;

let librarySource: string | undefined;

/**
 * Where the lightweight-charts standalone bundle is. The package's `exports` map only exposes
 * "." and "./package.json", so a direct subpath resolve fails (ERR_PACKAGE_PATH_NOT_EXPORTED);
 * it is tried first in case a later version exports the bundle, then the path is taken from the
 * folder of the package's package.json.
 */
export function lightweightChartsPath(): string {
  const require = createRequire(import.meta.url);
  try {
    return require.resolve(`lightweight-charts/${LIGHTWEIGHT_CHARTS_BUNDLE}`);
  } catch {
    // not exported: fall through
  }
  let pkg: string;
  try {
    pkg = require.resolve('lightweight-charts/package.json');
  } catch (e) {
    throw new ReportError('E_REPORT_LIBRARY', `lightweight-charts is not installed (npm install): ${(e as Error).message}`);
  }
  return join(dirname(pkg), LIGHTWEIGHT_CHARTS_BUNDLE);
}

/** Make script text safe to inline: nothing in it may close the element or open an HTML comment. */
export function inlineScriptText(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** The bundle's text, read once per process. */
export function lightweightChartsSource(): string {
  if (librarySource !== undefined) return librarySource;
  const file = lightweightChartsPath();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ReportError('E_REPORT_LIBRARY', `cannot read the lightweight-charts bundle ${file}: ${(e as Error).message}`);
  }
  if (!text.includes('window.LightweightCharts=')) {
    throw new ReportError('E_REPORT_LIBRARY', `${file} does not define window.LightweightCharts (not the standalone bundle?)`);
  }
  librarySource = inlineScriptText(text.replace(/\n\/\/# sourceMappingURL=\S*\s*$/, '\n'));
  return librarySource;
}

/** The JSON payload embedded in the page: run identity, metrics, and what the charts draw. */
export interface ReportPayload {
  readonly version: number;
  readonly meta: {
    readonly symbol: string;
    readonly venues: readonly string[];
    readonly fromMs: number;
    readonly toMs: number;
    readonly seed: number;
    readonly strategy: string;
    readonly events: number;
    readonly initialEquity: number;
    readonly warnings: readonly string[];
  };
  readonly counts: { readonly trades: number; readonly orders: number; readonly signals: number; readonly predictions: number; readonly bars: number; readonly zones: number };
  /** BacktestMetrics as metricsToJson writes it (Infinity as the string "Infinity"). */
  readonly metrics: unknown;
  readonly nullModel: RunResult['nullModel'];
  readonly walkForward: RunResult['walkForward'];
  readonly charts: ChartData;
}

export function reportPayload(run: RunResult, charts: ChartData = buildChartData(run)): ReportPayload {
  const m = run.meta;
  return {
    version: REPORT_DATA_VERSION,
    meta: { symbol: m.symbol, venues: m.venues, fromMs: m.fromMs, toMs: m.toMs, seed: m.seed, strategy: m.strategy, events: m.events, initialEquity: m.initialEquity, warnings: m.warnings },
    counts: { trades: run.trades.length, orders: run.orders.length, signals: run.signals.length, predictions: run.journal.predictions.length, bars: run.bars.length, zones: run.zones.length },
    metrics: JSON.parse(metricsToJson(run.metrics)) as unknown,
    nullModel: run.nullModel,
    walkForward: run.walkForward,
    charts,
  };
}

const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/** The whole report as one HTML document. */
export function renderReport(run: RunResult): string {
  const charts = buildChartData(run);
  const payload = reportPayload(run, charts);
  const decimals = charts.priceDecimals;
  const title = `Backtest ${run.meta.symbol} \u00b7 ${run.meta.strategy} \u00b7 ${fmtUtc(run.meta.fromMs).slice(0, 10)} \u2192 ${fmtUtc(run.meta.toMs).slice(0, 10)}`;
  return [
    ...documentHead(title, CSP),
    '<body data-rendered="pending">',
    headerSection(run),
    tocSection(run),
    warningsSection(run),
    verdictSection(run),
    walkForwardSection(run),
    '<main>',
    metricsSection(run.metrics, run.walkForward !== null && run.walkForward.length > 0),
    chartsSection(run, charts),
    tradesSection(run, decimals),
    breakdownsSection(run.metrics),
    journalSection({ ...run.journal, predictionCount: run.journal.predictions.length }),
    signalsSection(run, decimals),
    ordersSection(run),
    configSection(run),
    '</main>',
    '<footer>Generated by orderflow. Charts drawn with TradingView Lightweight Charts\u2122 (Apache License 2.0, by TradingView, Inc.; tradingview.com), inlined in this file.</footer>',
    `<script>${inlineScriptText(ERROR_HOOK_SCRIPT)}</script>`,
    `<script>${lightweightChartsSource()}</script>`,
    `<script type="application/json" id="report-data">${scriptSafeJson(payload)}</script>`,
    `<script>${inlineScriptText(PAGE_SCRIPT)}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Write `<dir>/report.html` (creating dir) and return its path. */
export function writeReport(dir: string, run: RunResult): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, REPORT_FILE);
  writeFileSync(path, renderReport(run), 'utf8');
  return path;
}
