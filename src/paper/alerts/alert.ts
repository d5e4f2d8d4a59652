/**
 * What the alert rules take besides market events (the engine's outputs, adapted by the paper
 * trader) and what they give: one `Alert` per rule firing, sent to every channel.
 */
import type { AlertRuleConfig } from '../../engine/alerts-config.ts';

/** A strategy signal as it became known. */
export interface SignalInput {
  readonly kind: 'signal';
  /** Exchange time the signal became known, epoch ms. */
  readonly ts: number;
  readonly id: number;
  /** 'absorption', 'divergence', ... */
  readonly type: string;
  readonly direction: 'long' | 'short';
  readonly level: number;
  readonly venue: string;
  readonly session: string;
}

/** One horizon of a prediction, resolved (docs/JOURNAL.md defines touched / rejected / broke). */
export interface OutcomeInput {
  readonly kind: 'outcome';
  /** Exchange time the horizon resolved, epoch ms. */
  readonly ts: number;
  /** The prediction's (signal's) id and what it said. */
  readonly id: number;
  readonly type: string;
  readonly direction: 'long' | 'short';
  readonly level: number;
  readonly venue: string;
  readonly horizonMs: number;
  readonly touched: boolean;
  readonly rejected: boolean;
  readonly brokeThrough: boolean;
  /** Return in the predicted direction, bps; `hit` = returnBps > 0. */
  readonly returnBps: number;
  readonly hit: boolean;
}

export type EngineOutput = SignalInput | OutcomeInput;

export interface Alert {
  readonly rule: string;
  /** `test` for `orderflow alerts test`. */
  readonly kind: AlertRuleConfig['kind'] | 'test';
  /** Exchange time of what fired it, epoch ms. */
  readonly ts: number;
  /** One line for people (terminal, Telegram). */
  readonly text: string;
  /** The figures behind it, for machines (the webhook body). */
  readonly fields: Readonly<Record<string, number | string | boolean | null>>;
}

/** 10.2M, 950.3k, 120: notional for a one-line message. */
export function compactNumber(x: number): string {
  const a = Math.abs(x);
  return a >= 1e9 ? `${(x / 1e9).toFixed(2)}B` : a >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : a >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0);
}

/** 60000 -> 1m, 90000 -> 90s: the window as the config would write it. */
export function durationText(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
