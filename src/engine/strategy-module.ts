/**
 * A user's strategy module (`--strategy <file>`): its default export (or `strategy` export) is a
 * function from the validated config to a Strategy (strategy.ts), e.g.
 * `export default (config) => ({ name: 'mine', onSignal(s, ctx) { ... } })`. Loaded through tsx,
 * so a .ts file anywhere (outside an ESM package too) loads as a module; backtest worker threads
 * load it the same way. A strategy that lists the features it reads (`features: ['absorption',
 * 'sizes']`, strategy.ts FEATURE_NAMES) gets only those computed; one that lists none gets all.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../core/errors.ts';
import type { BacktestConfig } from './config.ts';
import { FEATURE_NAMES, featuresOf, type Strategy } from './strategy.ts';

export async function loadStrategyModule(file: string): Promise<(config: BacktestConfig) => Strategy> {
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`--strategy: no such file ${path}`);
  let mod: Record<string, unknown>;
  try {
    const { tsImport } = await import('tsx/esm/api');
    mod = (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`--strategy ${file}: cannot load it: ${(e as Error).message}`);
  }
  let make = (mod.default ?? mod.strategy) as unknown;
  // A file outside an ESM package loads as CommonJS: its exports object is the default.
  if (make && typeof make === 'object') make = (make as Record<string, unknown>).default ?? (make as Record<string, unknown>).strategy;
  if (typeof make !== 'function') throw new UsageError(`--strategy ${file}: export a function (config) => Strategy as default (or as 'strategy')`);
  return (config) => {
    const s = (make as (c: BacktestConfig) => Strategy)(config);
    if (!s || typeof s.name !== 'string' || !(s.onSignal || s.onBar || s.onEvent)) throw new UsageError(`--strategy ${file}: the function must return { name, onSignal?, onBar?, onEvent? } with at least one hook`);
    if (s.features !== undefined) {
      if (!Array.isArray(s.features)) throw new UsageError(`--strategy ${file}: features must be an array of feature names (${FEATURE_NAMES.join(', ')}), or omitted for all`);
      try {
        featuresOf(s);
      } catch (e) {
        throw new UsageError(`--strategy ${file}: ${(e as Error).message}`);
      }
    }
    return s;
  };
}
