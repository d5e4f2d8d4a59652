/**
 * The detectors' events as the dashboard's markers (api.ts DetectorEvent): one formatter per
 * detector, shared by `GET /api/events` (history) and the live tail (src/server/live/
 * detector-tail.ts), so a marker that arrived live reads the same after a reload.
 */
import type { AbsorptionEvent } from '../../features/absorption.ts';
import type { WallEvent } from '../../features/book.ts';
import type { DivergenceEvent } from '../../features/divergence.ts';
import type { Venue } from '../../core/events.ts';
import type { DetectorEvent } from '../api.ts';

/** The realized clusters become absorption zones afresh every hour (as `orderflow analyze`): no zone is known before its snapshot. */
export const ZONES_EVERY_MS = 3_600_000;

export function absorptionMarker(e: AbsorptionEvent): DetectorEvent {
  const up = e.direction === 'buyers_absorb';
  return {
    t: e.ts, kind: 'absorption', direction: up ? 'up' : 'down', price: e.vwap,
    text: `absorption (${e.kind}): ${up ? 'buyers' : 'sellers'} absorb ${e.attack_ratio.toFixed(1)}x typical ${e.attack_side} volume at ${e.zone.low}-${e.zone.high}, price moved ${e.progress_bps.toFixed(1)} bps`,
  };
}

export function divergenceMarker(e: DivergenceEvent): DetectorEvent {
  const up = e.direction === 'buy_flow_no_rise';
  return {
    t: e.ts, kind: 'divergence', direction: up ? 'up' : 'down', price: e.close,
    text: `divergence ${e.timeframe_ms / 60_000}m: ${up ? 'buying' : 'selling'} (cvd z ${e.cvd_z.toFixed(1)}) while price ${up ? 'did not rise' : 'did not fall'} (${e.window_return_bps.toFixed(1)} bps)`,
  };
}

/** A wall the bait detector called bait; undefined for the other outcomes (pulled, consumed, resting are not events). */
export function baitMarker(venue: Venue, w: WallEvent): DetectorEvent | undefined {
  if (w.outcome !== 'bait') return undefined;
  return {
    t: w.endTs, kind: 'bait', direction: w.side === 'bid' ? 'up' : 'down', price: w.price,
    text: `bait: ${venue} ${w.side} wall of ${w.peak} (${w.multiple.toFixed(1)}x typical) at ${w.price} pulled as price came ${w.distanceAtEnd} ticks away`,
  };
}
