/**
 * The built-in "seed" strategy: the method of DESIGN.md ("The strategy it exists to test") as
 * rules, every threshold in the config (docs/BACKTEST.md).
 *
 * - Entries: absorption at a liquidation zone (realized or predicted), in the absorbing side's
 *   direction, of the configured kinds (a cascade that stopped, a revisit of an old zone); delta divergence on the configured timeframes ('fade' by default: buying that
 *   does not lift price meets passive sellers, so short; 'follow' trades with the flow).
 * - Weighted by large prints: the last closed 1h size-weighted delta must not oppose the trade.
 * - Vetoes: the last 5m cross-venue window flags disagreement; or the execution venue's book
 *   showed its "support" to be bait lately (walls on the trade's side pulled as price came to
 *   them, none held).
 * - Sessions: per-session enable, size multiplier and absorption threshold multiplier.
 * - Exits: stop beyond the zone's far edge (+ buffer) or a fixed distance for divergence
 *   entries; target at targetR x the stop distance; time stop.
 */
import type { AbsorptionKind } from '../features/absorption.ts';
import type { BacktestConfig } from './config.ts';
import type { EngineSignal, FeatureName, Strategy, StrategyContext } from './strategy.ts';

export function seedStrategy(config: BacktestConfig): Strategy {
  const c = config;
  // What the rules below read, so only that is computed: the signals it may trade and the
  // features its vetoes read (a disabled signal or veto costs nothing).
  const features: FeatureName[] = [];
  if (c.signals.absorption.enabled) features.push('absorption');
  if (c.signals.divergence.enabled) features.push('divergence');
  if (c.entry.requireLargeFlow) features.push('sizes');
  if (c.entry.vetoOnVenueDisagree) features.push('venues');
  if (c.entry.vetoOnBaitOnly) features.push('walls');
  return {
    name: 'seed',
    features,
    onSignal(s: EngineSignal, ctx: StrategyContext): string | null {
      if (s.type === 'absorption' && !c.signals.absorption.enabled) return 'absorption entries disabled';
      if (s.type === 'absorption' && !c.signals.absorption.kinds.includes(s.evidence.kind as AbsorptionKind)) return `absorption kind ${String(s.evidence.kind)} not traded`;
      if (s.type === 'divergence') {
        if (!c.signals.divergence.enabled) return 'divergence entries disabled';
        if (s.timeframeMs === null || !c.signals.divergence.timeframes.includes(s.timeframeMs)) return 'divergence timeframe not traded';
      }
      if (ctx.busy) return 'already in a position';
      const rule = c.entry.sessions[s.session];
      if (rule && !rule.enabled) return `session ${s.session} disabled`;
      if (s.type === 'absorption' && rule && rule.thresholdMultiplier !== 1) {
        const ratio = Number(s.evidence.attack_volume) / Number(s.evidence.typical_volume);
        if (!(ratio >= c.signals.absorption.volumeMultiple * rule.thresholdMultiplier)) return `attack ${ratio.toFixed(2)}x typical is below the ${s.session} threshold`;
      }
      const f = ctx.features;
      const dir = s.direction === 'long' ? 1 : -1;
      if (c.entry.requireLargeFlow && f.sizes && dir * f.sizes.weighted_delta_notional < 0) return 'large-print flow opposes';
      if (c.entry.vetoOnVenueDisagree && f.venues?.disagree) return 'venues disagree';
      if (c.entry.vetoOnBaitOnly && f.hasBook) {
        const mySide = s.direction === 'long' ? 'bid' : 'ask';
        const walls = f.recentWalls.filter((w) => w.side === mySide);
        if (walls.some((w) => w.outcome === 'bait') && !walls.some((w) => w.outcome === 'consumed')) return 'bait: walls on our side pulled as price came, none held';
      }
      const ref = ctx.lastPrice;
      if (!Number.isFinite(ref)) return 'no price yet';
      let stop: number;
      if (s.zone) {
        const buf = c.exit.stopBufferBps / 1e4;
        stop = s.direction === 'long' ? Math.min(s.zone.low, ref) * (1 - buf) : Math.max(s.zone.high, ref) * (1 + buf);
      } else {
        stop = ref * (1 - (dir * c.exit.divergenceStopBps) / 1e4);
      }
      const dist = Math.abs(ref - stop);
      const target = c.exit.targetR > 0 ? ref + dir * c.exit.targetR * dist : null;
      const r = ctx.enter(s, { side: s.direction, stop, target, timeStopMs: c.exit.timeStop, riskMultiplier: rule?.sizeMultiplier ?? 1 });
      return r.accepted ? null : r.reason;
    },
  };
}
