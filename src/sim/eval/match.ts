/**
 * Detections against planted labels, one run and one detector at a time (docs/FEATURES.md
 * "Detectors against the simulator").
 *
 * In the order they were known, each detection takes the earliest-starting label not yet
 * matched that it fits: same kind; same side (for a disagreement: one of the label's venues went
 * the label's side); a venue in common (no constraint when either names none); its time span
 * overlaps the label's widened by `timeToleranceMs` each way; it was known no earlier than the
 * label's start (so latency is never negative); its price range overlaps the label's widened by
 * `priceToleranceBps` each way (no price test when the detection names no price). A detection
 * that fits no free label is a false positive; a label no detection took is a miss.
 */
import type { Side, Venue } from '../../core/events.ts';
import type { SimLabel } from '../types.ts';
import { DETECTORS, type Detection, type DetectorName } from './detections.ts';

export interface MatchOptions {
  /** Each side of the label's time span. Default 60 s. */
  readonly timeToleranceMs?: number;
  /** Each side of the label's price range, bps of the bound. Default 20 (two 10-bp cluster bins). */
  readonly priceToleranceBps?: number;
}

export const MATCH_DEFAULTS = { timeToleranceMs: 60_000, priceToleranceBps: 20 } as const;

/**
 * Share of the label's time span a session occurrence must cover: sessions overlap (Europe with
 * Asia and the US), and without it the occurrence that closes first would take the label of the
 * one it merely touches.
 */
export const SESSION_MIN_OVERLAP = 0.5;

/** One detector over one run. */
export interface RunMatch {
  readonly detector: DetectorName;
  /** Labels of the detector's kinds. */
  readonly planted: number;
  readonly found: number;
  readonly truePositives: number;
  /** Per true positive: detection ts - label start_ms. */
  readonly latenciesMs: readonly number[];
  /** For each detection (in `ts` order): the index in `labels` it matched, or -1 (false positive). */
  readonly matchedLabel: readonly number[];
}

function sideFits(d: Detection, l: SimLabel): boolean {
  if (d.side !== null) return d.side === l.side;
  const sides = d.venue_sides ?? {};
  const venues: readonly Venue[] = l.venues.length > 0 ? l.venues : (Object.keys(sides) as Venue[]);
  return venues.some((v) => (sides[v] as Side | undefined) === l.side);
}

function venuesFit(d: Detection, l: SimLabel): boolean {
  return d.venues.length === 0 || l.venues.length === 0 || d.venues.some((v) => l.venues.includes(v));
}

function timeFits(d: Detection, l: SimLabel, tol: number): boolean {
  if (d.ts < l.start_ms) return false;
  const lo = l.start_ms - tol;
  const hi = l.end_ms + tol;
  if (!(d.start_ms <= hi && d.end_ms >= lo)) return false;
  if (d.kind !== 'session') return true;
  const overlap = Math.min(d.end_ms, l.end_ms) - Math.max(d.start_ms, l.start_ms);
  return overlap >= SESSION_MIN_OVERLAP * (l.end_ms - l.start_ms);
}

function priceFits(d: Detection, l: SimLabel, bps: number): boolean {
  if (Number.isNaN(d.price_low) && Number.isNaN(d.price_high)) return true;
  return d.price_low <= l.price_high * (1 + bps / 1e4) && d.price_high >= l.price_low * (1 - bps / 1e4);
}

/** Whether `d` fits `l` (everything but "not yet matched"). */
export function fits(d: Detection, l: SimLabel, o: MatchOptions = {}): boolean {
  const tol = o.timeToleranceMs ?? MATCH_DEFAULTS.timeToleranceMs;
  const bps = o.priceToleranceBps ?? MATCH_DEFAULTS.priceToleranceBps;
  return d.kind === l.kind && sideFits(d, l) && venuesFit(d, l) && timeFits(d, l, tol) && priceFits(d, l, bps);
}

/** One detector's detections (sorted by ts) against a run's labels. */
export function matchRun(detector: DetectorName, detections: readonly Detection[], labels: readonly SimLabel[], o: MatchOptions = {}): RunMatch {
  const kinds: readonly string[] = DETECTORS[detector];
  const mine = detections.filter((d) => d.detector === detector);
  for (let i = 1; i < mine.length; i++) if (mine[i].ts < mine[i - 1].ts) throw new RangeError('sim eval: detections must be sorted by ts');
  const candidates = labels.map((l, i) => ({ l, i })).filter(({ l }) => kinds.includes(l.kind)).sort((a, b) => a.l.start_ms - b.l.start_ms || a.i - b.i);
  const taken = new Set<number>();
  const latenciesMs: number[] = [];
  const matchedLabel: number[] = [];
  for (const d of mine) {
    const hit = candidates.find(({ l, i }) => !taken.has(i) && fits(d, l, o));
    if (hit) {
      taken.add(hit.i);
      latenciesMs.push(d.ts - hit.l.start_ms);
    }
    matchedLabel.push(hit ? hit.i : -1);
  }
  return { detector, planted: candidates.length, found: mine.length, truePositives: taken.size, latenciesMs, matchedLabel };
}
