/**
 * A small store for the server's tests: the paper tests' story (test/paper/story.ts: BTC on
 * Binance, OKX and Bybit, a trade per venue a second, liquidation clusters, tickers and a
 * Binance book) written through the real recorder, as `orderflow record` writes it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MarketEvent } from '../../src/core/events.ts';
import { Recorder } from '../../src/store/recorder.ts';
import { Store } from '../../src/store/store.ts';
import { H, M, storyEvents } from '../paper/story.ts';

export const T0 = Date.UTC(2026, 0, 5, 0, 0);
export const SPAN_MS = H + 30 * M;

/** Events as the recorder receives them (receive time = exchange time). */
export function fixtureEvents(o: { fromMs?: number; toMs?: number } = {}): MarketEvent[] {
  return storyEvents({ t0: T0, spanMs: SPAN_MS, ...o }).map((e) => ({ ...e, localTs: e.ts }));
}

/** Write events into the store open in `store` through a recorder session. */
export async function record(store: Store, events: readonly MarketEvent[]): Promise<void> {
  const rec = await Recorder.open(store, { label: 'record test' });
  rec.handlers('binance').onEvents(events, 0);
  await rec.close();
}

/**
 * A fresh home holding the story's first `toMs` (default all of it). The caller removes it
 * (`removeHome`): node:test's `after` called from a `before` hook runs when that hook ends.
 */
export async function fixtureHome(toMs?: number): Promise<string> {
  const home = join(mkdtempSync(join(tmpdir(), 'orderflow-serve-')), 'home');
  const store = await Store.open(home);
  try {
    await record(store, fixtureEvents({ toMs }));
  } finally {
    store.close();
  }
  return home;
}

export function removeHome(home: string | undefined): void {
  if (home !== undefined) rmSync(join(home, '..'), { recursive: true, force: true });
}
