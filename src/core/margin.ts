/**
 * Margin and liquidation as each venue computes them: Binance USD-M, OKX USDT-margined swaps and
 * Bybit linear USDT perpetuals, isolated and cross margin, one-way mode. docs/MARGIN.md has every
 * formula with its source and the worked examples the tests reproduce.
 *
 * One model covers the three venues. A position (side s = +1 long / -1 short, qty q in base units,
 * entry E) is liquidated when the mark price P brings its margin balance down to its maintenance
 * requirement:
 *
 *   margin balance(P) = C + s·q·(P − E)        C: isolated margin, or for cross the wallet balance
 *                                               plus the other legs' unrealized PnL minus their
 *                                               maintenance requirements
 *   requirement(P)    = k·P + c                 linear in P once the tier is fixed
 *
 * so LP = (c − C + s·q·E) / (s·q − k). The venues differ only in k, c and in how the tier is picked:
 *
 * - Binance: MM = q·P·mmr − cum, tier = bracket of the notional q·P. The liquidation price uses the
 *   bracket of the notional AT THE LIQUIDATION PRICE ("If your position (calculated at the
 *   liquidation price) and the current position (calculated at the opening price) are of different
 *   levels, then you must substitute ... the maintenance margin rate and the maintenance margin
 *   amount of the position level"): every bracket is tried and the one that contains its own
 *   result is kept. Source: Binance FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures
 *   Contracts", https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93. With
 *   k = q·mmr and c = −cum this is the FAQ's LP = (WB − TMM1 + UPNL1 + cumB − s·q·E) / (q·MMR − s·q).
 * - OKX: requirement = position value × (mmr + taker fee rate), position value = q·P; the tier is
 *   picked by position SIZE (contracts, stored ×ctVal as base units), so it does not move with the
 *   price. Sources: OKX Academy "USDT Sustainable Contracts: Tiered Maintenance Margin Ratio System"
 *   (https://www.okex.com/academy/en/ix-usdt-sustainable-contracts-tiered-maintenance-margin-ratio-system:
 *   "When the Margin Ratio ... is lower than the Maintenance Margin Ratio + Liquidation Fee Rate,
 *   full or partial liquidation will occur"; "Fixed Margin Mode: Margin Ratio = (Fixed Margin +
 *   UPL) / Position Value"; tiers "calculated based on the number of contracts") and OKX help
 *   "Tiered maintenance margin ratio rules" (https://www.okx.com/help/v-tiered-maintenance-margin-ratio-rules:
 *   liquidation when "your account equity is equal to or less than the required maintenance
 *   margin plus any applicable liquidation fees"). Isolated long: LP = (E − M/q) / (1 − mmr − fee).
 * - Bybit: MM = position value at ENTRY × mmr − mm deduction, tier = risk-limit tier of that
 *   value. Isolated: LP = E ∓ (IM − MM)/q ∓ extra margin/q. Source: Bybit help "Liquidation Price
 *   (USDT Contract)" (https://testnet.bybit.com/en-US/help-center/s/article/Liquidation-Price-USDT-Contract,
 *   the version whose Example 1 gives 19,700 USDT; "Position Value = Contract Size × Entry Price",
 *   "Maintenance Margin (MM) = (Position Value x MMR) - Maintenance Margin Deduction"). The
 *   estimated fee to close, which the 2026 Unified Trading Account page adds to both IM and MM, is
 *   not modelled. Cross: "Liquidation is triggered when MMR reaches 100%" (Bybit "Trading Rules:
 *   Liquidation Process (Unified Trading Account)", https://www.bybit.com/en/help-center/article/UTA-Trading-Rules).
 *
 * Everything here is pure: no I/O, numbers in, numbers out. Bad inputs throw RangeError naming the
 * field. The backtester calls `isLiquidated` (isolated, O(1): the liquidation price is solved once
 * at open) or `crossState` (cross, O(legs)) on every mark update, and `isolatedLiquidation` /
 * `crossLiquidation` for what the liquidation pays.
 */
import { unscale, type Instrument, type MarginTier } from './instruments.ts';

export type MarginVenue = 'binance' | 'okx' | 'bybit';
export type MarginMode = 'isolated' | 'cross';
export type PositionSide = 'long' | 'short';

/** What margin needs to know about a contract (a subset of Instrument). */
export type MarginInstrument = Pick<Instrument, 'venue' | 'symbol' | 'contractType' | 'contractValue' | 'maxLeverage' | 'tiers' | 'makerFee' | 'takerFee'>;

/** A maintenance rate and amount that replace the venue's tiers (what-if questions). */
export interface TierOverride {
  readonly maintMarginRate: number;
  readonly maintAmount: number;
}

/** The maintenance tier a figure was computed with. */
export interface AppliedTier {
  /** Index in instrument.tiers (0 = the first tier), or -1 for an override. */
  readonly index: number;
  readonly maintMarginRate: number;
  readonly maintAmount: number;
  /** The tier's bounds and leverage cap (NaN for an override). */
  readonly notionalFloor: number;
  readonly notionalCap: number;
  readonly maxLeverage: number;
  /** What the bounds count: quote notional, or position size in base units (OKX). */
  readonly unit: 'quote' | 'base';
  /** The value that was looked up in the tiers (quote notional or base size, per unit). */
  readonly basis: number;
}

/** The maintenance requirement of one position at one price. */
export interface Maintenance {
  readonly tier: AppliedTier;
  /** rate × value − amount: the venue's "maintenance margin". */
  readonly maintenanceMargin: number;
  /** OKX: position value × taker fee rate, counted with the maintenance margin; 0 elsewhere. */
  readonly liquidationFee: number;
  /** maintenanceMargin + liquidationFee: what the margin balance must stay above. */
  readonly requirement: number;
}

interface VenueRule {
  /** The maintenance margin is on the entry value (Bybit), not the value at the mark. */
  readonly valueAtEntry: boolean;
  /** The taker fee to close is part of the requirement (OKX). */
  readonly feeInRequirement: boolean;
  /** How the tier is named in messages. */
  readonly tierWord: string;
}

const RULES: Record<MarginVenue, VenueRule> = {
  binance: { valueAtEntry: false, feeInRequirement: false, tierWord: 'bracket' },
  okx: { valueAtEntry: false, feeInRequirement: true, tierWord: 'tier' },
  bybit: { valueAtEntry: true, feeInRequirement: false, tierWord: 'risk-limit tier' },
};

function sideSign(side: PositionSide): 1 | -1 {
  return side === 'long' ? 1 : -1;
}

function ruleOf(inst: MarginInstrument): VenueRule {
  const rule = (RULES as Partial<Record<string, VenueRule>>)[inst.venue];
  if (!rule) throw new RangeError(`margin: venue ${JSON.stringify(inst.venue)} is not modelled; accepted: binance, okx, bybit`);
  if (inst.contractType !== 'linear') throw new RangeError(`margin: ${inst.venue} ${inst.symbol} is an inverse contract; only linear (USDT-margined) contracts are modelled`);
  return rule;
}

// ---------------------------------------------------------------------------------------------
// Validation: a RangeError that names the field, the value and what is accepted.

function positive(value: number, field: string): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`margin: ${field} must be a finite number > 0, got ${value}`);
  return value;
}

function nonNegative(value: number, field: string): number {
  if (!(value >= 0) || !Number.isFinite(value)) throw new RangeError(`margin: ${field} must be a finite number >= 0, got ${value}`);
  return value;
}

function checkSide(side: string, field: string): PositionSide {
  if (side !== 'long' && side !== 'short') throw new RangeError(`margin: ${field} must be 'long' or 'short', got ${JSON.stringify(side)}`);
  return side;
}

function checkOverride(o: TierOverride | undefined, field: string): TierOverride | undefined {
  if (o === undefined) return undefined;
  if (!(o.maintMarginRate >= 0 && o.maintMarginRate < 1)) throw new RangeError(`margin: ${field}.maintMarginRate must be in [0, 1), got ${o.maintMarginRate}`);
  nonNegative(o.maintAmount, `${field}.maintAmount`);
  return o;
}

// ---------------------------------------------------------------------------------------------
// Tiers.

function unitOf(t: MarginTier): 'quote' | 'base' {
  return t.unit === 'base' ? 'base' : 'quote';
}

/** The value a tier's bounds are compared with, for a position valued at `price`. */
function basisOf(t: MarginTier, rule: VenueRule, qty: number, entry: number, price: number): number {
  if (unitOf(t) === 'base') return qty;
  return qty * (rule.valueAtEntry ? entry : price);
}

function applied(tiers: readonly MarginTier[], i: number, basis: number): AppliedTier {
  const t = tiers[i];
  return {
    index: i,
    maintMarginRate: t.maintMarginRate,
    maintAmount: t.maintAmount,
    notionalFloor: t.notionalFloor,
    notionalCap: t.notionalCap,
    maxLeverage: t.maxLeverage,
    unit: unitOf(t),
    basis,
  };
}

function overridden(o: TierOverride, basis: number): AppliedTier {
  return { index: -1, maintMarginRate: o.maintMarginRate, maintAmount: o.maintAmount, notionalFloor: NaN, notionalCap: NaN, maxLeverage: NaN, unit: 'quote', basis };
}

function requireTiers(inst: MarginInstrument): readonly MarginTier[] {
  if (inst.tiers.length === 0) {
    throw new RangeError(`margin: ${inst.venue} ${inst.symbol} has no maintenance tiers in its metadata; give a maintenance rate and amount (override: maintMarginRate, maintAmount)`);
  }
  return inst.tiers;
}

/** Index of the tier a position valued at `price` falls in (floor inclusive, cap exclusive); the last tier beyond its cap. */
function tierIndex(tiers: readonly MarginTier[], rule: VenueRule, qty: number, entry: number, price: number): number {
  for (let i = 0; i < tiers.length; i++) if (basisOf(tiers[i], rule, qty, entry, price) < tiers[i].notionalCap) return i;
  return tiers.length - 1;
}

/**
 * The tier of a position valued at `price`, by the venue's rule: Binance the notional qty × price,
 * OKX the size in base units (contracts × ctVal), Bybit the value at entry qty × entry.
 */
export function tierAt(inst: MarginInstrument, qty: number, entry: number, price: number, override?: TierOverride): AppliedTier {
  const rule = ruleOf(inst);
  if (override) return overridden(override, qty * (rule.valueAtEntry ? entry : price));
  const tiers = requireTiers(inst);
  const i = tierIndex(tiers, rule, qty, entry, price);
  return applied(tiers, i, basisOf(tiers[i], rule, qty, entry, price));
}


function maintenanceWith(rule: VenueRule, tier: AppliedTier, qty: number, entry: number, price: number, takerFee: number): Maintenance {
  const value = qty * (rule.valueAtEntry ? entry : price);
  const maintenanceMargin = value * tier.maintMarginRate - tier.maintAmount;
  const liquidationFee = rule.feeInRequirement ? qty * price * takerFee : 0;
  return { tier, maintenanceMargin, liquidationFee, requirement: maintenanceMargin + liquidationFee };
}

/** The venue's maintenance requirement of a position (qty base units, entered at `entry`) at mark `price`. */
export function maintenanceAt(inst: MarginInstrument, qty: number, entry: number, price: number, override?: TierOverride): Maintenance {
  const rule = ruleOf(inst);
  return maintenanceWith(rule, tierAt(inst, qty, entry, price, override), qty, entry, price, inst.takerFee);
}

/**
 * The price P where C + s·q·(P − E) equals the requirement of one fixed tier (requirement =
 * perPrice × P + constant); NaN unless it is finite and > 0. A module function, not a closure in
 * solveLiquidation: the predicted-liquidation model solves ~10 positions per open-interest row.
 */
function solveAt(rule: VenueRule, s: 1 | -1, qty: number, entry: number, C: number, mmr: number, amount: number, takerFee: number): number {
  const perPrice = (rule.valueAtEntry ? 0 : qty * mmr) + (rule.feeInRequirement ? qty * takerFee : 0);
  const constant = (rule.valueAtEntry ? qty * entry * mmr : 0) - amount;
  const p = (constant - C + s * qty * entry) / (s * qty - perPrice);
  return p > 0 && Number.isFinite(p) ? p : NaN;
}

/** Whether any tier is bounded in quote (then a price-valued tier moves with the price). */
function anyQuoteTier(tiers: readonly MarginTier[]): boolean {
  for (let i = 0; i < tiers.length; i++) if (unitOf(tiers[i]) === 'quote') return true;
  return false;
}

/**
 * The price P where C + s·q·(P − E) equals the requirement, with the tier chosen as the venue
 * does: a tier that moves with the price (Binance brackets) is re-picked at the liquidation price
 * (each tier tried; the first whose own result lies in it is kept; none: the tier at `fallbackPrice`).
 * NaN when a long has no liquidation price above 0.
 */
function solveLiquidation(
  inst: MarginInstrument,
  s: 1 | -1,
  qty: number,
  entry: number,
  C: number,
  override: TierOverride | undefined,
  fallbackPrice: number,
): { price: number; tier: AppliedTier } {
  const rule = ruleOf(inst);
  const fee = inst.takerFee;
  if (override) {
    const price = solveAt(rule, s, qty, entry, C, override.maintMarginRate, override.maintAmount, fee);
    return { price, tier: overridden(override, qty * (rule.valueAtEntry ? entry : price)) };
  }
  const tiers = requireTiers(inst);
  if (!rule.valueAtEntry && anyQuoteTier(tiers)) {
    for (let i = 0; i < tiers.length; i++) {
      const t = tiers[i];
      const price = solveAt(rule, s, qty, entry, C, t.maintMarginRate, t.maintAmount, fee);
      if (!(price > 0)) continue;
      const basis = basisOf(t, rule, qty, entry, price);
      const cap = i === tiers.length - 1 ? Infinity : t.notionalCap;
      if (basis >= t.notionalFloor && basis < cap) return { price, tier: applied(tiers, i, basis) };
    }
  }
  const i = tierIndex(tiers, rule, qty, entry, fallbackPrice);
  const price = solveAt(rule, s, qty, entry, C, tiers[i].maintMarginRate, tiers[i].maintAmount, fee);
  return { price, tier: applied(tiers, i, basisOf(tiers[i], rule, qty, entry, Number.isNaN(price) ? fallbackPrice : price)) };
}

/** An amount for a message: at most `decimals` decimals, thousands separated (70,110.29, not 70110.28745100001). */
function amountText(x: number, decimals: number): string {
  return Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: decimals }) : String(x);
}

/** A tier bound or size for a message: base units to 8 decimals, quote to 2. */
function sizeText(unit: 'quote' | 'base', x: number): string {
  return unit === 'base' ? amountText(x, 8) : amountText(x, 2);
}

/** The venue's rule, once the leverage is valid and within the instrument's own maximum. */
function checkInstrumentLeverage(inst: MarginInstrument, leverage: number): VenueRule {
  const rule = ruleOf(inst);
  positive(leverage, 'leverage');
  if (leverage < 1) throw new RangeError(`margin: leverage must be >= 1, got ${leverage}`);
  if (inst.maxLeverage > 0 && leverage > inst.maxLeverage) {
    throw new RangeError(`margin: leverage ${amountText(leverage, 4)}x is above the ${inst.maxLeverage}x maximum of ${inst.venue} ${inst.symbol}`);
  }
  return rule;
}

/** The tier at entry caps the leverage (and the instrument's own maximum); a position beyond the last tier cannot be opened. */
function checkLeverage(inst: MarginInstrument, qty: number, entry: number, leverage: number, override: TierOverride | undefined): AppliedTier {
  const rule = checkInstrumentLeverage(inst, leverage);
  const tier = tierAt(inst, qty, entry, entry, override);
  if (override) return tier;
  const tiers = inst.tiers;
  const last = tiers[tiers.length - 1];
  if (tier.index === tiers.length - 1 && tier.basis >= last.notionalCap) {
    const what = tier.unit === 'base' ? `size ${sizeText(tier.unit, tier.basis)}` : `notional ${sizeText(tier.unit, tier.basis)}`;
    throw new RangeError(`margin: qty: the position's ${what} at entry is beyond the last ${rule.tierWord} of ${inst.venue} ${inst.symbol} (cap ${sizeText(tier.unit, last.notionalCap)})`);
  }
  if (tier.maxLeverage > 0 && leverage > tier.maxLeverage) {
    const what = tier.unit === 'base' ? `size ${sizeText(tier.unit, tier.notionalFloor)} to ${sizeText(tier.unit, tier.notionalCap)} (base units)` : `notional ${sizeText(tier.unit, tier.notionalFloor)} to ${sizeText(tier.unit, tier.notionalCap)}`;
    throw new RangeError(`margin: leverage ${amountText(leverage, 4)}x is above the ${tier.maxLeverage}x maximum of ${inst.venue} ${inst.symbol} ${rule.tierWord} ${tier.index + 1} (${what}), where a position of ${sizeText(tier.unit, tier.basis)} ${tier.unit === 'base' ? 'base units' : 'notional'} falls`);
  }
  return tier;
}

// ---------------------------------------------------------------------------------------------
// Isolated positions (what the backtester holds).

export interface IsolatedSpec {
  readonly instrument: MarginInstrument;
  readonly side: PositionSide;
  /** Base units (OKX: contracts × ctVal). */
  readonly qty: number;
  readonly entry: number;
  readonly leverage: number;
  /** The isolated margin (initial margin plus any margin added); default qty × entry / leverage. */
  readonly margin?: number;
  readonly override?: TierOverride;
}

export interface IsolatedPosition {
  readonly instrument: MarginInstrument;
  readonly side: PositionSide;
  readonly qty: number;
  readonly entry: number;
  readonly leverage: number;
  readonly margin: number;
  readonly override: TierOverride | undefined;
  /** Mark price at which it is liquidated; NaN when a long has none above 0. */
  readonly liquidationPrice: number;
  /** The tier the liquidation price was solved with. */
  readonly liquidationTier: AppliedTier;
  /** Mark price at which its margin balance is 0 (it is closed there); NaN when a long has none above 0. */
  readonly bankruptcyPrice: number;
}

/**
 * The liquidation price of the isolated position `openIsolated` opens with `override` = {
 * maintMarginRate, maintAmount } and no margin given (margin qty × entry / leverage): the same
 * checks in the same order, the same arithmetic, so the same price bit for bit, without building
 * the position and its tier records (the predicted-liquidation model projects ~10 positions per
 * open-interest row).
 */
export function isolatedLiquidationPriceWith(inst: MarginInstrument, side: 1 | -1, qty: number, entry: number, leverage: number, maintMarginRate: number, maintAmount: number): number {
  positive(qty, 'qty');
  positive(entry, 'entry');
  if (!(maintMarginRate >= 0 && maintMarginRate < 1)) throw new RangeError(`margin: override.maintMarginRate must be in [0, 1), got ${maintMarginRate}`);
  nonNegative(maintAmount, 'override.maintAmount');
  const rule = checkInstrumentLeverage(inst, leverage);
  return solveAt(rule, side, qty, entry, (qty * entry) / leverage, maintMarginRate, maintAmount, inst.takerFee);
}

/** Where `isolatedOpenInto` writes: the isolated margin, the liquidation price and the bankruptcy price. */
export const OPEN_MARGIN = 0;
export const OPEN_LIQUIDATION = 1;
export const OPEN_BANKRUPTCY = 2;

/**
 * What `openIsolated` solves for a position opened with its initial margin (qty × entry /
 * leverage) and no override, written into `out` (OPEN_MARGIN, OPEN_LIQUIDATION, OPEN_BANKRUPTCY):
 * the same checks (an invalid position throws the same error, through openIsolated) and the same
 * arithmetic, so the same prices bit for bit, without the position, its tier records and the spec
 * object. The simulator opens ~13,000 holders per simulated hour plus ~17,000 at its start.
 */
export function isolatedOpenInto(inst: MarginInstrument, side: 1 | -1, qty: number, entry: number, leverage: number, out: Float64Array): void {
  const tiers = inst.tiers;
  const rule = (RULES as Partial<Record<string, VenueRule>>)[inst.venue];
  const n = tiers.length;
  let i = -1;
  if (rule && inst.contractType === 'linear' && n > 0 && qty > 0 && entry > 0 && Number.isFinite(qty) && Number.isFinite(entry) && leverage >= 1 && Number.isFinite(leverage) && !(inst.maxLeverage > 0 && leverage > inst.maxLeverage)) {
    i = tierIndex(tiers, rule, qty, entry, entry);
    const t = tiers[i];
    const beyond = i === n - 1 && basisOf(t, rule, qty, entry, entry) >= t.notionalCap;
    if (beyond || (t.maxLeverage > 0 && leverage > t.maxLeverage)) i = -1;
  }
  if (i < 0 || !rule) {
    // Not a valid position: openIsolated names the field and the value.
    const p = openIsolated({ instrument: inst, side: side > 0 ? 'long' : 'short', qty, entry, leverage });
    out[OPEN_MARGIN] = p.margin;
    out[OPEN_LIQUIDATION] = p.liquidationPrice;
    out[OPEN_BANKRUPTCY] = p.bankruptcyPrice;
    return;
  }
  const margin = (qty * entry) / leverage;
  const fee = inst.takerFee;
  // solveLiquidation without an override, the tier records left out.
  let price = NaN;
  let solved = false;
  if (!rule.valueAtEntry && anyQuoteTier(tiers)) {
    for (let j = 0; j < n; j++) {
      const t = tiers[j];
      const p = solveAt(rule, side, qty, entry, margin, t.maintMarginRate, t.maintAmount, fee);
      if (!(p > 0)) continue;
      const basis = basisOf(t, rule, qty, entry, p);
      const cap = j === n - 1 ? Infinity : t.notionalCap;
      if (basis >= t.notionalFloor && basis < cap) {
        price = p;
        solved = true;
        break;
      }
    }
  }
  if (!solved) {
    const k = tierIndex(tiers, rule, qty, entry, entry);
    price = solveAt(rule, side, qty, entry, margin, tiers[k].maintMarginRate, tiers[k].maintAmount, fee);
  }
  const bp = entry - (side * margin) / qty;
  out[OPEN_MARGIN] = margin;
  out[OPEN_LIQUIDATION] = price;
  out[OPEN_BANKRUPTCY] = bp > 0 ? bp : NaN;
}

/**
 * The highest leverage the instrument allows for a position of `qty` valued at `price` (its tier
 * at that price, as `tierAt` picks it, and the instrument's own cap), without the tier record.
 */
export function maxLeverageAt(inst: MarginInstrument, qty: number, price: number): number {
  const rule = ruleOf(inst);
  const tiers = requireTiers(inst);
  const t = tiers[tierIndex(tiers, rule, qty, price, price)];
  return Math.min(inst.maxLeverage, t.maxLeverage > 0 ? t.maxLeverage : inst.maxLeverage);
}

/** Open an isolated position: validates it and solves its liquidation and bankruptcy prices once. */
export function openIsolated(spec: IsolatedSpec): IsolatedPosition {
  const { instrument: inst } = spec;
  const side = checkSide(spec.side, 'side');
  const qty = positive(spec.qty, 'qty');
  const entry = positive(spec.entry, 'entry');
  const override = checkOverride(spec.override, 'override');
  checkLeverage(inst, qty, entry, spec.leverage, override);
  const margin = spec.margin === undefined ? (qty * entry) / spec.leverage : positive(spec.margin, 'margin');
  const s = sideSign(side);
  const liq = solveLiquidation(inst, s, qty, entry, margin, override, entry);
  const bp = entry - (s * margin) / qty;
  return { instrument: inst, side, qty, entry, leverage: spec.leverage, margin, override, liquidationPrice: liq.price, liquidationTier: liq.tier, bankruptcyPrice: bp > 0 ? bp : NaN };
}

/** Margin balance of an isolated position at `mark`: margin + unrealized PnL. */
export function isolatedMarginBalance(p: IsolatedPosition, mark: number): number {
  return p.margin + sideSign(p.side) * p.qty * (mark - p.entry);
}

/**
 * True when the venue liquidates the position at this mark price: the mark has reached the
 * liquidation price (long: at or below, short: at or above), i.e. the margin balance is at or
 * below the maintenance requirement.
 */
export function isLiquidated(p: IsolatedPosition, mark: number): boolean {
  return p.side === 'long' ? mark <= p.liquidationPrice : mark >= p.liquidationPrice;
}

/** What a liquidation pays. */
export interface LiquidationOutcome {
  /** The trader's realized loss, negative: the whole isolated margin (cross: the whole wallet balance). */
  readonly realizedPnl: number;
  /**
   * Margin balance left at the liquidation mark, which the venue keeps (insurance fund / clearance
   * fee); negative when the mark gapped past the bankruptcy price and the fund covers the gap.
   */
  readonly insuranceFund: number;
}

export interface IsolatedLiquidationOutcome extends LiquidationOutcome {
  /** Price the venue closes the position at against the trader: its bankruptcy price. */
  readonly closePrice: number;
}

/**
 * The liquidation of an isolated position at `mark`, or undefined when it is not liquidated
 * there. The trader loses exactly the isolated margin, whatever the mark: Bybit closes it at the
 * bankruptcy price ("Bankruptcy Price (USDT Contract)": "you have lost all your initial margin";
 * "the excess margin will be contributed to the Insurance Fund"), Binance and OKX keep what the
 * margin still held as a liquidation clearance fee / liquidation fee for their insurance funds.
 * Partial liquidation of large tiers is not modelled (see docs/MARGIN.md).
 */
export function isolatedLiquidation(p: IsolatedPosition, mark: number): IsolatedLiquidationOutcome | undefined {
  if (!isLiquidated(p, mark)) return undefined;
  return { closePrice: p.bankruptcyPrice, realizedPnl: -p.margin, insuranceFund: isolatedMarginBalance(p, mark) };
}

// ---------------------------------------------------------------------------------------------
// Cross margin.

/** One position in a cross wallet, valued at its mark. */
export interface CrossLeg {
  /** Its contract (tiers, taker fee); optional when `override` gives its rate. */
  readonly instrument?: MarginInstrument;
  /** For messages. */
  readonly symbol: string;
  readonly side: PositionSide;
  readonly qty: number;
  readonly entry: number;
  readonly mark: number;
  readonly override?: TierOverride;
}

export interface CrossState {
  /** Wallet balance + every leg's unrealized PnL at its mark. */
  readonly marginBalance: number;
  /** Sum of the legs' maintenance requirements at their marks. */
  readonly maintenance: number;
  /** maintenance / marginBalance (Binance's "margin ratio"; OKX shows the reciprocal); Infinity when the balance is <= 0. */
  readonly marginRatio: number;
  readonly liquidated: boolean;
}

function legRequirement(leg: CrossLeg, venueInst: MarginInstrument, field: string): { upnl: number; maintenance: Maintenance } {
  checkSide(leg.side, `${field}.side`);
  positive(leg.qty, `${field}.qty`);
  positive(leg.entry, `${field}.entry`);
  positive(leg.mark, `${field}.mark`);
  checkOverride(leg.override, `${field}.override`);
  const inst = leg.instrument ?? venueInst;
  if (inst.venue !== venueInst.venue) throw new RangeError(`margin: ${field}: ${leg.symbol} is on ${inst.venue}, not on ${venueInst.venue}: a cross wallet is one venue's`);
  if (!leg.instrument && !leg.override) throw new RangeError(`margin: ${field}: ${leg.symbol} needs its instrument (tiers) or a maintenance rate`);
  const maintenance = maintenanceAt(inst, leg.qty, leg.entry, leg.mark, leg.override);
  return { upnl: sideSign(leg.side) * leg.qty * (leg.mark - leg.entry), maintenance };
}

/**
 * The state of a cross wallet: it is liquidated when its margin balance (wallet + unrealized PnL
 * of every leg at its mark) is at or below the sum of the legs' maintenance requirements
 * (Binance margin ratio 100%, OKX margin ratio 100%, Bybit account MM rate 100%).
 */
export function crossState(wallet: number, legs: readonly CrossLeg[], venueInstrument: MarginInstrument): CrossState {
  nonNegative(wallet, 'wallet');
  let marginBalance = wallet;
  let maintenance = 0;
  legs.forEach((leg, i) => {
    const r = legRequirement(leg, venueInstrument, `legs[${i}]`);
    marginBalance += r.upnl;
    maintenance += r.maintenance.requirement;
  });
  return { marginBalance, maintenance, marginRatio: marginBalance > 0 ? maintenance / marginBalance : Infinity, liquidated: marginBalance <= maintenance };
}

/**
 * The liquidation of a cross wallet at the legs' marks, or undefined when it is not liquidated:
 * every leg is closed at its bankruptcy price, the wallet ends at 0 (the trader loses the whole
 * margin balance), and what the balance still held goes to the insurance fund.
 */
export function crossLiquidation(wallet: number, legs: readonly CrossLeg[], venueInstrument: MarginInstrument): LiquidationOutcome | undefined {
  const st = crossState(wallet, legs, venueInstrument);
  if (!st.liquidated) return undefined;
  return { realizedPnl: -wallet, insuranceFund: st.marginBalance };
}

// ---------------------------------------------------------------------------------------------
// The calculator (`orderflow margin`).

export interface MarginRequest {
  readonly instrument: MarginInstrument;
  readonly mode: MarginMode;
  readonly side: PositionSide;
  /** Base units (OKX: contracts × ctVal). */
  readonly qty: number;
  readonly entry: number;
  readonly leverage: number;
  /** Isolated: the position's margin (default: the initial margin). Cross: the wallet balance (required). */
  readonly wallet?: number;
  /** Mark price for the unrealized PnL and the current maintenance (default: the entry price). */
  readonly mark?: number;
  /** Maker fee rate for the round trip instead of taker. */
  readonly maker?: boolean;
  /** Replaces the venue's tier for this position. */
  readonly override?: TierOverride;
  /** Cross: the other positions in the same wallet (one per symbol, not this one's). */
  readonly others?: readonly CrossLeg[];
}

export interface MarginReport {
  readonly venue: MarginVenue;
  readonly symbol: string;
  readonly mode: MarginMode;
  readonly side: PositionSide;
  readonly qty: number;
  /** qty in the venue's order unit: contracts on OKX (qty / ctVal), base units elsewhere. */
  readonly contracts: number;
  readonly entry: number;
  /** The mark price given, or NaN. */
  readonly mark: number;
  readonly leverage: number;
  /** qty × entry. */
  readonly notional: number;
  /** Margin to open: qty × entry / leverage. */
  readonly initialMargin: number;
  /** Isolated: the position's margin; cross: the wallet balance. */
  readonly wallet: number;
  /** Isolated: notional / position margin (the leverage the margin really carries); NaN in cross. */
  readonly effectiveLeverage: number;
  /** Highest leverage allowed for this position: the lower of the entry tier's and the instrument's. */
  readonly maxLeverage: number;
  /** The current maintenance (at the mark, or at entry without one). */
  readonly maintenanceMarginRate: number;
  readonly maintenanceAmount: number;
  readonly maintenanceMargin: number;
  /** OKX: position value × taker fee, part of the requirement; 0 on Binance and Bybit. */
  readonly liquidationFee: number;
  readonly tier: AppliedTier;
  /** NaN when a long has no liquidation price above 0. */
  readonly liquidationPrice: number;
  /** The tier at the liquidation price (Binance may differ from `tier`). */
  readonly liquidationTier: AppliedTier;
  /** Price where the margin balance is 0; NaN when a long has none above 0. */
  readonly bankruptcyPrice: number;
  readonly feeKind: 'taker' | 'maker';
  readonly feeRate: number;
  /** qty × entry × fee rate. */
  readonly openFee: number;
  /** qty × (mark or entry) × fee rate. */
  readonly closeFee: number;
  readonly roundTripFees: number;
  /** s × qty × (mark − entry); 0 without a mark. */
  readonly unrealizedPnl: number;
  /** Cross: sums over the other legs (0 for isolated). */
  readonly othersMaintenance: number;
  readonly othersUnrealizedPnl: number;
  /** wallet + unrealized PnL (cross: of every leg). */
  readonly marginBalance: number;
  /** This position's requirement plus the other legs'. */
  readonly maintenanceRequirement: number;
  /** maintenanceRequirement / marginBalance; liquidated at >= 1. */
  readonly marginRatio: number;
  /** Whether the position is liquidated at the mark (at entry without one). */
  readonly liquidated: boolean;
}

/** Every margin figure of one position as its venue computes them (see the file comment). */
export function marginReport(req: MarginRequest): MarginReport {
  const inst = req.instrument;
  const rule = ruleOf(inst);
  if (req.mode !== 'isolated' && req.mode !== 'cross') throw new RangeError(`margin: mode must be 'isolated' or 'cross', got ${JSON.stringify(req.mode)}`);
  const side = checkSide(req.side, 'side');
  const qty = positive(req.qty, 'qty');
  const entry = positive(req.entry, 'entry');
  const override = checkOverride(req.override, 'override');
  const mark = req.mark === undefined ? NaN : positive(req.mark, 'mark');
  const entryTier = checkLeverage(inst, qty, entry, req.leverage, override);
  const s = sideSign(side);
  const at = Number.isNaN(mark) ? entry : mark;
  const initialMargin = (qty * entry) / req.leverage;
  const others = req.others ?? [];
  if (req.mode === 'isolated' && others.length > 0) throw new RangeError('margin: others: other positions share a cross wallet only; use mode cross');

  let wallet: number;
  let othersMaintenance = 0;
  let othersUnrealizedPnl = 0;
  if (req.mode === 'isolated') {
    wallet = req.wallet === undefined ? initialMargin : positive(req.wallet, 'wallet');
  } else {
    if (req.wallet === undefined) throw new RangeError('margin: wallet: the wallet balance is required in cross mode');
    wallet = nonNegative(req.wallet, 'wallet');
    const seen = new Set<string>([inst.symbol]);
    others.forEach((leg, i) => {
      if (seen.has(leg.symbol)) {
        throw new RangeError(`margin: others[${i}].symbol: ${leg.symbol} twice in one cross wallet (one-way mode: one position per symbol; merge them${leg.symbol === inst.symbol ? ' into this position' : ''})`);
      }
      seen.add(leg.symbol);
      const r = legRequirement(leg, inst, `others[${i}]`);
      othersMaintenance += r.maintenance.requirement;
      othersUnrealizedPnl += r.upnl;
    });
  }
  // C: what the margin balance is made of besides this position's PnL, less the other legs' requirements.
  const C = wallet + othersUnrealizedPnl - othersMaintenance;
  const liq = solveLiquidation(inst, s, qty, entry, C, override, at);
  const bp = entry - (s * (wallet + othersUnrealizedPnl)) / qty;
  const current = maintenanceWith(rule, tierAt(inst, qty, entry, at, override), qty, entry, at, inst.takerFee);
  const unrealizedPnl = Number.isNaN(mark) ? 0 : s * qty * (mark - entry);
  const marginBalance = wallet + othersUnrealizedPnl + unrealizedPnl;
  const maintenanceRequirement = current.requirement + othersMaintenance;
  const feeRate = req.maker ? inst.makerFee : inst.takerFee;
  const openFee = qty * entry * feeRate;
  const closeFee = qty * at * feeRate;
  const capLeverage = Math.min(inst.maxLeverage > 0 ? inst.maxLeverage : Infinity, entryTier.maxLeverage > 0 ? entryTier.maxLeverage : Infinity);
  return {
    venue: inst.venue as MarginVenue,
    symbol: inst.symbol,
    mode: req.mode,
    side,
    qty,
    contracts: inst.contractValue > 0 ? unscale(qty, inst.contractValue) : qty,
    entry,
    mark,
    leverage: req.leverage,
    notional: qty * entry,
    initialMargin,
    wallet,
    effectiveLeverage: req.mode === 'isolated' ? (qty * entry) / wallet : NaN,
    maxLeverage: capLeverage,
    maintenanceMarginRate: current.tier.maintMarginRate,
    maintenanceAmount: current.tier.maintAmount,
    maintenanceMargin: current.maintenanceMargin,
    liquidationFee: current.liquidationFee,
    tier: current.tier,
    liquidationPrice: liq.price,
    liquidationTier: liq.tier,
    bankruptcyPrice: bp > 0 ? bp : NaN,
    feeKind: req.maker ? 'maker' : 'taker',
    feeRate,
    openFee,
    closeFee,
    roundTripFees: openFee + closeFee,
    unrealizedPnl,
    othersMaintenance,
    othersUnrealizedPnl,
    marginBalance,
    maintenanceRequirement,
    marginRatio: marginBalance > 0 ? maintenanceRequirement / marginBalance : Infinity,
    liquidated: marginBalance <= maintenanceRequirement,
  };
}
