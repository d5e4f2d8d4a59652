/**
 * How much history a run's active features need before their first output can be trusted: the
 * warm-up each run (--from, every walk-forward window, every null run) reads before its start.
 * `warmup: auto` (the default) is exactly this; an explicit shorter `warmup` is obeyed with a
 * warning naming what it removes.
 */
import { DEFAULT_DIVERGENCE_TIMEFRAMES } from '../features/divergence.ts';
import { HOUR_MS, MINUTE_MS } from '../features/timeframe.ts';
import type { BacktestConfig } from './config.ts';

/**
 * Bars of history a divergence needs before its first event: the pipeline's DivergenceOperator
 * runs with its defaults (lookback = warm-up = 100 bars, src/features/divergence.ts).
 */
export const DIVERGENCE_HISTORY_BARS = 100;

/** One need: the feature and the history it wants. */
export interface WarmupNeed {
  readonly what: string;
  readonly ms: number;
}

/** What each active feature of `config` needs, longest first. */
export function warmupNeeds(config: BacktestConfig): WarmupNeed[] {
  const needs: WarmupNeed[] = [];
  const abs = config.signals.absorption;
  // The typical-volume median fills after `lookbackWindows` 1-minute windows.
  if (abs.enabled) needs.push({ what: `absorption (${abs.lookbackWindows} 1m windows)`, ms: abs.lookbackWindows * MINUTE_MS });
  const div = config.signals.divergence;
  if (div.enabled) {
    // Only the timeframes that can open a trade matter; the pipeline makes 15m, 1h and 1d ones.
    const traded = DEFAULT_DIVERGENCE_TIMEFRAMES.filter((tf) => div.timeframes.includes(tf));
    if (traded.length > 0) {
      const tf = Math.max(...traded);
      needs.push({ what: `the ${label(tf)} divergence (${DIVERGENCE_HISTORY_BARS} bars)`, ms: DIVERGENCE_HISTORY_BARS * tf });
    }
  }
  // The size-flow veto reads the last closed 1h bar.
  if (config.entry.requireLargeFlow) needs.push({ what: 'the 1h size-flow veto (1 bar)', ms: HOUR_MS });
  return needs.sort((a, b) => b.ms - a.ms);
}

/** The warm-up a run uses, and a warning when an explicit one is shorter than a feature needs. */
export function effectiveWarmup(config: BacktestConfig): { ms: number; warning: string | null } {
  const needs = warmupNeeds(config);
  const need = needs.length > 0 ? needs[0].ms : 0;
  if (config.warmup === 'auto') return { ms: need, warning: null };
  const short = needs.filter((n) => n.ms > (config.warmup as number));
  const warning =
    short.length > 0
      ? `warmup ${formatDuration(config.warmup)} is shorter than ${short.map((n) => `${n.what} needs ${formatDuration(n.ms)}`).join(', ')}: those signals are missing near every run's start (warmup: auto derives it)`
      : null;
  return { ms: config.warmup, warning };
}

function label(tf: number): string {
  return tf % 86_400_000 === 0 ? `${tf / 86_400_000}d` : tf % HOUR_MS === 0 ? `${tf / HOUR_MS}h` : `${tf / MINUTE_MS}m`;
}

/** 100 h -> "4.2d", 90 min -> "1.5h", 5 min -> "5m". */
export function formatDuration(ms: number): string {
  const r = (x: number) => String(Math.round(x * 10) / 10);
  return ms >= 86_400_000 ? `${r(ms / 86_400_000)}d` : ms >= HOUR_MS ? `${r(ms / HOUR_MS)}h` : ms >= MINUTE_MS ? `${r(ms / MINUTE_MS)}m` : `${ms}ms`;
}
