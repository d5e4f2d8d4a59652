/**
 * `orderflow margin`: the calculator a trader uses before entering: initial margin, the
 * maintenance tier, liquidation and bankruptcy prices, round-trip fees and the PnL at a mark, as
 * the venue computes them (src/core/margin.ts, docs/MARGIN.md).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { UsageError } from '../core/errors.ts';
import { venueSymbol, type InstrumentRegistry } from '../core/instruments.ts';
import {
  marginReport,
  type AppliedTier,
  type CrossLeg,
  type MarginInstrument,
  type MarginMode,
  type MarginReport,
  type MarginVenue,
  type PositionSide,
} from '../core/margin.ts';
import { loadBundledInstruments } from '../venues/bundled-instruments.ts';

interface MarginOpts {
  venue: string;
  symbol: string;
  side: string;
  entry: string;
  qty: string;
  leverage?: string;
  mode: string;
  wallet?: string;
  mark?: string;
  maker?: boolean;
  mmr?: string;
  maintAmount?: string;
  portfolio?: string;
  json?: boolean;
}

const VENUES: readonly MarginVenue[] = ['binance', 'okx', 'bybit'];

/** One other open position of the cross wallet, as written in --portfolio. */
const legSchema = z
  .object({
    symbol: z.string().min(1),
    side: z.enum(['long', 'short']),
    qty: z.number().positive(),
    entry: z.number().positive(),
    mark: z.number().positive(),
    mmr: z.number().min(0).lt(1).optional(),
    maintAmount: z.number().min(0).optional(),
  })
  .strict();
const portfolioSchema = z.array(legSchema);
type PortfolioLeg = z.output<typeof legSchema>;

function pathText(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(top level)';
}

/** Read and validate a --portfolio file: JSON array of {symbol, side, qty, entry, mark, mmr?, maintAmount?}. */
function readPortfolio(file: string): PortfolioLeg[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--portfolio ${file}: cannot read: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--portfolio ${file}: not valid JSON: ${(e as Error).message}`);
  }
  const r = portfolioSchema.safeParse(json);
  if (!r.success) {
    const problems = r.error.issues.map((i) => {
      const keys = i.code === 'unrecognized_keys' ? i.keys.map((k) => pathText([...i.path, k])).join(', ') : pathText(i.path);
      return `${keys}: ${i.message}`;
    });
    throw new UsageError(
      `--portfolio ${file}: ${problems.join('; ')} (expected a JSON array of {"symbol", "side": "long"|"short", "qty" (base units), "entry", "mark", "mmr"?, "maintAmount"?})`,
    );
  }
  for (const [i, leg] of r.data.entries()) {
    if (leg.maintAmount !== undefined && leg.mmr === undefined) throw new UsageError(`--portfolio ${file}: [${i}].maintAmount is given without [${i}].mmr`);
  }
  return r.data;
}

function instrumentOf(registry: InstrumentRegistry, venue: MarginVenue, input: string): MarginInstrument | undefined {
  return registry.get(venue, venueSymbol(registry, venue, input));
}

/** A number option; '' or not a finite number is a usage error naming the option. */
function numberOpt(text: string, option: string, want: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw new UsageError(`${option}: expected ${want}, got ${JSON.stringify(text)}`);
  return v;
}

function positiveOpt(text: string, option: string, want: string): number {
  const v = numberOpt(text, option, want);
  if (!(v > 0)) throw new UsageError(`${option}: expected ${want}, got ${JSON.stringify(text)}`);
  return v;
}

/** The report of the command's options (the bundled instruments unless `registry` is given). */
function runMarginReport(opts: MarginOpts, registry: InstrumentRegistry = loadBundledInstruments()): MarginReport {
  const venue = opts.venue.toLowerCase() as MarginVenue;
  if (!VENUES.includes(venue)) throw new UsageError(`--venue: expected one of ${VENUES.join(', ')}, got ${JSON.stringify(opts.venue)}`);
  const side = opts.side.toLowerCase();
  if (side !== 'long' && side !== 'short') throw new UsageError(`--side: expected long or short, got ${JSON.stringify(opts.side)}`);
  const mode = opts.mode.toLowerCase();
  if (mode !== 'isolated' && mode !== 'cross') throw new UsageError(`--mode: expected isolated or cross, got ${JSON.stringify(opts.mode)}`);
  const entry = positiveOpt(opts.entry, '--entry', 'a price > 0');
  const qty = positiveOpt(opts.qty, '--qty', 'a quantity > 0 in base units');
  const mark = opts.mark === undefined ? undefined : positiveOpt(opts.mark, '--mark', 'a price > 0');
  const wallet = opts.wallet === undefined ? undefined : numberOpt(opts.wallet, '--wallet', 'an amount of quote currency');
  if (wallet !== undefined && (mode === 'isolated' ? !(wallet > 0) : !(wallet >= 0))) {
    throw new UsageError(`--wallet: expected ${mode === 'isolated' ? 'an isolated margin > 0' : 'a wallet balance >= 0'}, got ${JSON.stringify(opts.wallet)}`);
  }
  if (mode === 'cross' && wallet === undefined) throw new UsageError('--wallet: the wallet balance is required with --mode cross');
  let leverage: number;
  if (opts.leverage !== undefined) {
    leverage = numberOpt(opts.leverage, '--leverage', 'a leverage >= 1');
    if (!(leverage >= 1)) throw new UsageError(`--leverage: expected a leverage >= 1, got ${JSON.stringify(opts.leverage)}`);
  } else if (mode === 'isolated' && wallet !== undefined) {
    // The exchanges' worked examples give the isolated margin, not a leverage: it follows from it.
    leverage = impliedLeverage(qty * entry, wallet);
  } else {
    throw new UsageError(
      mode === 'cross'
        ? '--leverage: required with --mode cross (there --wallet is the whole balance, which implies no leverage)'
        : '--leverage: give the leverage, or the isolated position margin with --wallet (the leverage is then notional / margin)',
    );
  }
  if (opts.maintAmount !== undefined && opts.mmr === undefined) throw new UsageError('--maint-amount: give --mmr with it');
  let override;
  if (opts.mmr !== undefined) {
    const rate = numberOpt(opts.mmr, '--mmr', 'a maintenance margin rate in [0, 1), e.g. 0.005');
    if (!(rate >= 0 && rate < 1)) throw new UsageError(`--mmr: expected a maintenance margin rate in [0, 1), e.g. 0.005, got ${JSON.stringify(opts.mmr)}`);
    const amount = opts.maintAmount === undefined ? 0 : numberOpt(opts.maintAmount, '--maint-amount', 'an amount >= 0');
    if (!(amount >= 0)) throw new UsageError(`--maint-amount: expected an amount >= 0, got ${JSON.stringify(opts.maintAmount)}`);
    override = { maintMarginRate: rate, maintAmount: amount };
  }
  if (opts.portfolio !== undefined && mode !== 'cross') throw new UsageError('--portfolio: other positions share a cross wallet only; add --mode cross');

  const instrument = instrumentOf(registry, venue, opts.symbol);
  if (!instrument) {
    const known = registry.all().filter((i) => i.venue === venue && i.kind === 'perpetual' && i.contractType === 'linear').map((i) => i.symbol).sort();
    throw new UsageError(`--symbol: ${venue} has no instrument ${JSON.stringify(opts.symbol)} in the bundled metadata (linear perpetuals: ${known.join(', ')})`);
  }
  const others: CrossLeg[] = [];
  if (opts.portfolio !== undefined) {
    const file = opts.portfolio;
    for (const [i, leg] of readPortfolio(file).entries()) {
      const inst = instrumentOf(registry, venue, leg.symbol);
      if (leg.mmr === undefined && (!inst || inst.tiers.length === 0)) {
        throw new UsageError(`--portfolio ${file}: [${i}].symbol: ${venue} ${inst ? `${inst.symbol} has no maintenance tiers in the bundled metadata` : `has no instrument ${JSON.stringify(leg.symbol)}`}; give [${i}].mmr (and maintAmount)`);
      }
      const symbol = inst?.symbol ?? leg.symbol.trim().toUpperCase();
      if (symbol === instrument.symbol) throw new UsageError(`--portfolio ${file}: [${i}].symbol: ${symbol} is the position itself (one-way mode: one position per symbol)`);
      others.push({
        instrument: inst,
        symbol,
        side: leg.side,
        qty: leg.qty,
        entry: leg.entry,
        mark: leg.mark,
        override: leg.mmr === undefined ? undefined : { maintMarginRate: leg.mmr, maintAmount: leg.maintAmount ?? 0 },
      });
    }
  }
  try {
    return marginReport({ instrument, mode: mode as MarginMode, side: side as PositionSide, qty, entry, leverage, wallet, mark, maker: opts.maker, override, others });
  } catch (e) {
    // Impossible inputs (leverage above the tier's maximum, an inverse contract...) are usage errors here.
    if (e instanceof RangeError) throw new UsageError(flagMessage(e.message, opts.leverage === undefined ? wallet : undefined));
    throw e;
  }
}

/**
 * Leverage of an isolated position whose margin is `wallet`: notional / margin, at least 1 (a
 * margin above the notional is leverage 1 with margin added), rounded to 1e-9 so that a margin of
 * exactly notional / 125 is 125x, not 125.00000000000001x.
 */
function impliedLeverage(notional: number, wallet: number): number {
  return Math.max(1, Math.round((notional / wallet) * 1e9) / 1e9);
}

/** The engine's message for a field, as the option a user gives for it. */
function flagMessage(message: string, impliedFrom: number | undefined): string {
  const m = message.replace(/^margin: /, '');
  if (m.startsWith('leverage ')) {
    return impliedFrom === undefined ? `--leverage: ${m}` : `--wallet ${plain(impliedFrom, 2)} implies ${m.replace(' is above', ', above')}; give a larger --wallet`;
  }
  if (m.startsWith('qty: ')) return `--qty: ${m.slice(5)}`;
  return m.replace('give a maintenance rate and amount (override: maintMarginRate, maintAmount)', 'give the maintenance margin rate with --mmr (and the maintenance amount with --maint-amount)');
}

// ---------------------------------------------------------------------------------------------
// Output.

/** Thousands separators, fixed decimals; '-' for non-finite. */
function num(x: number, decimals = 2): string {
  if (!Number.isFinite(x)) return '-';
  const [int, frac] = Math.abs(x).toFixed(decimals).split('.');
  return `${x < 0 && Number(x.toFixed(decimals)) !== 0 ? '-' : ''}${int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${frac ? `.${frac}` : ''}`;
}

function price(x: number): string {
  if (!Number.isFinite(x)) return '-';
  const decimals = Math.max(2, Math.min(8, 5 - Math.floor(Math.log10(Math.abs(x)))));
  return num(x, decimals);
}

/** Up to `max` decimals, trailing zeros dropped, thousands separators. */
function plain(x: number, max = 8): string {
  if (!Number.isFinite(x)) return '-';
  const t = num(x, max);
  return t.includes('.') ? t.replace(/\.?0+$/, '') : t;
}

function pct(rate: number): string {
  return `${(rate * 100).toFixed(4).replace(/\.?0+$/, '')}%`;
}

function tierText(t: AppliedTier, venue: MarginVenue, what: string, base: string): string {
  if (t.index < 0) return `override (--mmr / --maint-amount)`;
  const word = venue === 'binance' ? 'bracket' : venue === 'okx' ? 'tier' : 'risk-limit tier';
  const range = t.unit === 'base' ? `size ${plain(t.notionalFloor)} to ${plain(t.notionalCap)} ${base}` : `notional ${plain(t.notionalFloor)} to ${plain(t.notionalCap)}`;
  const basis = t.unit === 'base' ? `size ${plain(t.basis)}` : `notional ${num(t.basis)}`;
  return `${word} ${t.index + 1} (${range}, max ${t.maxLeverage}x): ${basis} ${what}`;
}

function tierJson(t: AppliedTier): Record<string, unknown> {
  return {
    source: t.index < 0 ? 'override' : 'tier',
    number: t.index < 0 ? null : t.index + 1,
    maintenanceMarginRate: t.maintMarginRate,
    maintenanceAmount: t.maintAmount,
    floor: finiteOrNull(t.notionalFloor),
    cap: finiteOrNull(t.notionalCap),
    maxLeverage: finiteOrNull(t.maxLeverage),
    unit: t.unit,
    basis: finiteOrNull(t.basis),
  };
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** The report as JSON: camelCase keys, null for what does not exist (no liquidation price, no mark). */
export function marginJson(r: MarginReport, leverageImplied = false): Record<string, unknown> {
  const out: Record<string, unknown> = { leverageImplied };
  for (const [k, v] of Object.entries(r)) {
    if (k === 'tier' || k === 'liquidationTier') out[k] = tierJson(v as AppliedTier);
    else out[k] = typeof v === 'number' ? finiteOrNull(v) : v;
  }
  return out;
}

function marginText(r: MarginReport, base: string, quote: string, leverageImplied = false): string {
  const at = Number.isFinite(r.mark) ? `mark ${price(r.mark)}` : 'entry (no --mark)';
  const unitWord = r.venue === 'okx' ? ` ${base} (${plain(r.contracts)} contracts)` : ` ${base}`;
  const mmWhere = r.venue === 'bybit' ? 'at entry (Bybit: value at entry)' : `at ${at}`;
  const rows: [string, string][] = [
    ['position', `${r.venue} ${r.symbol} ${r.side} ${plain(r.qty)}${unitWord} @ ${price(r.entry)}, ${plain(r.leverage, 4)}x${leverageImplied ? ' (implied by --wallet)' : ''} ${r.mode} (one-way mode)`],
    ['notional', `${num(r.notional)} ${quote}`],
    ['initial margin', `${num(r.initialMargin)} (notional / leverage; max leverage here ${r.maxLeverage}x)`],
    [r.mode === 'isolated' ? 'position margin' : 'wallet balance', `${num(r.wallet)}${r.mode === 'isolated' ? ' (--wallet; default: the initial margin)' : ''}`],
  ];
  if (r.mode === 'isolated') rows.push(['leverage', `${plain(r.effectiveLeverage, 4)}x (notional / position margin${leverageImplied ? '; no --leverage given, so this is the leverage' : ''})`]);
  rows.push(
    ['maintenance tier', tierText(r.tier, r.venue, mmWhere, base)],
    ['maintenance margin rate', pct(r.maintenanceMarginRate)],
    ['maintenance amount', num(r.maintenanceAmount)],
    ['maintenance margin', num(r.maintenanceMargin)],
  );
  if (r.venue === 'okx') rows.push(['liquidation fee', `${num(r.liquidationFee)} (position value x taker fee, counted with the maintenance margin)`]);
  if (r.mode === 'cross') {
    rows.push(['other positions', `maintenance ${num(r.othersMaintenance)}, unrealized PnL ${num(r.othersUnrealizedPnl)}`]);
  }
  const liqTier = r.liquidationTier.index === r.tier.index ? '' : ` (${tierText(r.liquidationTier, r.venue, 'at the liquidation price', base)})`;
  rows.push(
    ['liquidation price', Number.isFinite(r.liquidationPrice) ? `${price(r.liquidationPrice)}${liqTier}` : '- (none above 0)'],
    ['bankruptcy price', Number.isFinite(r.bankruptcyPrice) ? price(r.bankruptcyPrice) : '- (none above 0)'],
    ['round-trip fees', `${num(r.roundTripFees)} (${r.feeKind} ${pct(r.feeRate)}: open ${num(r.openFee)} + close ${num(r.closeFee)} at ${at})`],
    ['unrealized PnL', Number.isFinite(r.mark) ? `${num(r.unrealizedPnl)} at mark ${price(r.mark)}` : '- (give --mark)'],
    ['margin ratio', `${pct(r.marginRatio)} (maintenance ${num(r.maintenanceRequirement)} / margin balance ${num(r.marginBalance)}; liquidated at 100%)${r.liquidated ? ': LIQUIDATED' : ''}`],
  );
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

export function registerMargin(program: Command): void {
  program
    .command('margin')
    .description("margin calculator: initial and maintenance margin, liquidation and bankruptcy prices, round-trip fees, as the venue computes them")
    .requiredOption('--venue <venue>', 'binance (USD-M), okx (USDT swap) or bybit (linear USDT)')
    .requiredOption('--symbol <symbol>', 'a venue-native symbol or a base asset (BTCUSDT, BTC-USDT-SWAP, BTC)')
    .requiredOption('--side <side>', 'long or short')
    .requiredOption('--entry <price>', 'entry price')
    .requiredOption('--qty <qty>', 'position size in BASE units (BTC for BTCUSDT; on OKX contracts x ctVal, e.g. 100 BTC-USDT-SWAP contracts = 1)')
    .option('--leverage <x>', 'leverage (>= 1; at most the tier maximum for this size); isolated: may be left out when --wallet gives the margin, and is then notional / margin')
    .option('--mode <mode>', 'isolated or cross (one-way mode)', 'isolated')
    .option('--wallet <amount>', 'isolated: the position margin (default: notional / --leverage); cross: the wallet balance (required)')
    .option('--mark <price>', 'mark price for the unrealized PnL and the current maintenance margin (default: the entry)')
    .option('--maker', 'price the round trip at the maker fee instead of taker')
    .option('--mmr <rate>', "maintenance margin rate replacing the venue's tier, e.g. 0.01 (what-if)")
    .option('--maint-amount <amount>', 'maintenance amount (Binance cum, Bybit deduction) with --mmr (default 0)')
    .option('--portfolio <file>', 'cross: JSON array of the other open positions in the wallet, [{"symbol","side","qty","entry","mark","mmr"?,"maintAmount"?}]')
    .option('--json', 'print one JSON object (camelCase keys: initialMargin, maintenanceMarginRate, maintenanceAmount, maintenanceMargin, liquidationPrice, bankruptcyPrice, ...)')
    .addHelpText(
      'after',
      `
Uses the bundled instrument metadata (tiers, fee defaults: Binance 0.02%/0.05%, OKX 0.02%/0.05%,
Bybit 0.02%/0.055% maker/taker). The tier is picked as the venue does: Binance by the notional
(the liquidation price uses the bracket of the notional AT the liquidation price), OKX by the
position size in contracts, Bybit by the value at entry. OKX counts the taker fee to close in the
maintenance requirement. Funding, fees already paid and open orders are not in the liquidation
price. Formulas, sources and worked examples: docs/MARGIN.md.

Examples:
  $ orderflow margin --venue binance --symbol BTCUSDT --side long --entry 30000 --qty 2 --leverage 10
  $ orderflow margin --venue okx --symbol BTC --side short --entry 60000 --qty 1 --leverage 20 --mark 61000 --json
  $ orderflow margin --venue bybit --symbol BTCUSDT --side long --entry 20000 --qty 1 --wallet 400   # leverage 50x implied
  $ orderflow margin --venue bybit --symbol BTCUSDT --side long --entry 20000 --qty 1 --leverage 50 --wallet 900
  $ orderflow margin --venue binance --symbol ETHUSDT --side long --entry 1456.84 --qty 3683.979 --leverage 5 \\
      --mode cross --wallet 1535443.01 --mmr 0.1 --maint-amount 135365 --portfolio examples/positions.json`,
    )
    .action((opts: MarginOpts) => {
      const registry = loadBundledInstruments();
      const report = runMarginReport(opts, registry);
      const implied = opts.leverage === undefined;
      if (opts.json) {
        console.log(JSON.stringify(marginJson(report, implied)));
        return;
      }
      const inst = registry.get(report.venue, report.symbol);
      console.log(marginText(report, inst?.base ?? '', inst?.quote ?? '', implied));
    });
}
