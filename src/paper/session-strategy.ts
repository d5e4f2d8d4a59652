/**
 * A paper session's strategy module (`orderflow paper --strategy FILE`, the module shape of
 * `backtest --strategy`: src/engine/strategy-module.ts). The session records the file's absolute
 * path and the SHA-256 of its bytes (paper_strategies) when it starts; a resume and
 * `backtest --session` load the recorded file and refuse it when its bytes changed or it is gone.
 * Why refuse rather than warn: a resume replays the session's stored events through a fresh
 * kernel and relies on arriving at the position, orders and predictions the journal holds (keyed
 * by the kernel's ids); another strategy would arrive elsewhere, and the journal would mix two.
 * A session without a row runs the built-in seed strategy.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BacktestConfig } from '../engine/config.ts';
import { loadStrategyModule } from '../engine/strategy-module.ts';
import type { Strategy } from '../engine/strategy.ts';

export type StrategyFactory = (config: BacktestConfig) => Strategy;

/** What a session records of its strategy module. */
export interface StrategyRecord {
  /** Absolute path. */
  readonly file: string;
  /** SHA-256 of the file's bytes, hex. */
  readonly sha256: string;
}

export const fileSha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** `--strategy FILE` for a new session: the module, loaded and checked, and what to record. */
export async function newSessionStrategy(file: string): Promise<{ readonly record: StrategyRecord; readonly make: StrategyFactory }> {
  const path = resolve(file);
  const make = await loadStrategyModule(path);
  return { record: { file: path, sha256: fileSha256(path) }, make };
}

/**
 * The recorded module of session `name`, loaded; refused (RangeError, saying what to do) when the
 * file is gone or its bytes differ from those the session started with. `given`: a --strategy
 * file named on this start, which must be the recorded one.
 */
export async function recordedStrategy(name: string, rec: StrategyRecord | undefined, given?: string): Promise<StrategyFactory | undefined> {
  const what = (r: StrategyRecord | undefined) => (r ? `the strategy module ${r.file}` : 'the built-in seed strategy');
  if (given !== undefined && resolve(given) !== rec?.file) throw new RangeError(`paper session ${name} runs with ${what(rec)}; --strategy ${given} differs from it (start a new --session to change it)`);
  if (!rec) return undefined;
  if (!existsSync(rec.file)) throw new RangeError(`paper session ${name} runs with the strategy module ${rec.file}, which is gone: put it back (sha256 ${rec.sha256}) to resume or replay the session`);
  const now = fileSha256(rec.file);
  if (now !== rec.sha256) {
    throw new RangeError(
      `paper session ${name}: the strategy module ${rec.file} changed since the session started (sha256 ${rec.sha256.slice(0, 12)}... then, ${now.slice(0, 12)}... now): ` +
        'its stored events are replayed through the strategy, and a changed one would not arrive at the journal\'s position, orders and predictions. Restore the file, or start a new --session with it',
    );
  }
  return loadStrategyModule(rec.file);
}
