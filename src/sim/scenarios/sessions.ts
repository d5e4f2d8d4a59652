/**
 * `sessions`: a pronounced day: thin Asia, busy US (taker arrival rate ×0.35 and ×1.8), sellers
 * leaning in Asia and buyers in the US. One `session` label per session the run overlaps (UTC
 * winter hours of src/features/timeframe.ts: Asia 00:00-09:00, Europe 08:00-16:30, US
 * 14:30-21:00), side = its measured net aggressive flow. The default run is a day (the sessions
 * detector reports whole sessions): from the default 12:00 UTC start it covers Europe's
 * afternoon, the US, the next Asia and Europe's morning.
 */
import type { Scenario } from '../scenario.ts';
import { netFlow, tradedRange, venuesOf } from '../scenario.ts';
import type { SimLabel } from '../types.ts';

const SESSIONS = [
  { name: 'asia', from: 0, to: 9 * 60, bias: -0.05 },
  { name: 'europe', from: 8 * 60, to: 16 * 60 + 30, bias: 0 },
  { name: 'us', from: 14 * 60 + 30, to: 21 * 60, bias: 0.05 },
] as const;

export const sessions: Scenario = {
  name: 'sessions',
  summary: 'thin Asia, busy US: session-dependent activity and net flow over a day',
  defaultDurationMs: 24 * 3_600_000,
  setup(world) {
    const { startMs, durationMs } = world.config;
    const profile = { asia: 0.35, europe: 1, us: 1.8, off: 0.5 };
    for (const r of world.retail) r.activity = profile;
    // Lean each session's retail flow: re-evaluated every minute.
    const day = 86_400_000;
    for (let t = startMs; t < startMs + durationMs; t += 60_000) {
      const min = Math.floor((t % day) / 60_000);
      const bias = SESSIONS.reduce((b, s) => (min >= s.from && min < s.to ? b + s.bias : b), 0);
      world.at(t, () => world.retail.forEach((r) => (r.bias = bias)));
    }
    return () => {
      const labels: SimLabel[] = [];
      const all = world.market.venues.map((v) => v.index);
      const endMs = startMs + durationMs;
      for (let d = Math.floor(startMs / day) * day; d < endMs; d += day) {
        for (const s of SESSIONS) {
          const from = Math.max(startMs, d + s.from * 60_000);
          const to = Math.min(endMs, d + s.to * 60_000);
          if (to - from < 10 * 60_000) continue;
          const net = netFlow(world, from, to, all);
          const [low, high] = tradedRange(world, from, to, all);
          if (!(high >= low) || net === 0) continue;
          labels.push({ kind: 'session', side: net > 0 ? 'buy' : 'sell', start_ms: from, end_ms: to - 1, price_low: low, price_high: high, venues: venuesOf(world, all) });
        }
      }
      return labels;
    };
  },
};
