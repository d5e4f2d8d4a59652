/**
 * A backtest worker thread (backtest-workers.ts starts it): opens the store read-only, builds the
 * same Backtest as the main thread from plain data, and runs the jobs it is sent, one at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openLake } from '../lake/lake-store.ts';
import { Store } from '../store/store.ts';
import { loadBundledInstruments } from '../venues/bundled-instruments.ts';
import { Backtest, type BacktestJob } from './backtest.ts';
import type { WorkerSource } from './backtest-workers.ts';
import { loadStrategyModule } from './strategy-module.ts';

const src = workerData as WorkerSource;
const port = parentPort!;
const ready = (async () => {
  const store = src.lake ? await openLake(src.lake.location, src.lake.scope) : await Store.open(src.home, { readOnly: true });
  const registry = loadBundledInstruments();
  const strategy = src.strategyFile ? await loadStrategyModule(src.strategyFile) : undefined;
  const bt = new Backtest({ store, config: src.config, pairs: src.pairs, symbol: src.symbol, fromMs: src.fromMs, toMs: src.toMs, instruments: (v, s) => registry.get(v, s), strategy });
  return { store, bt };
})();

port.on('message', (msg: { id: number; job: BacktestJob } | { close: true }) => {
  void (async () => {
    if ('close' in msg) {
      (await ready.catch(() => undefined))?.store.close();
      port.close();
      return;
    }
    try {
      const { bt } = await ready;
      port.postMessage({ id: msg.id, result: await bt.runJob(msg.job) });
    } catch (e) {
      const err = e as Error;
      port.postMessage({ id: msg.id, error: { name: err.name, message: err.message, stack: err.stack } });
    }
  })();
});
