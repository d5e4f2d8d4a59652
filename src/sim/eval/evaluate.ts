/**
 * `orderflow eval-detectors`' computation: every detector over every simulated run (detect.ts),
 * matched to the run's planted labels (match.ts), aggregated per (detector, scenario). A run is
 * read once, as the simulator produces it; only its detections and labels are kept, and only
 * until its counts are added.
 */
import { SCENARIOS, type ScenarioName, type SimRun } from '../types.ts';
import { detect, type DetectOptions } from './detect.ts';
import { DETECTOR_NAMES, type DetectorName } from './detections.ts';
import { matchRun, type MatchOptions } from './match.ts';

/** One (detector, scenario) over all its runs. Keys in this order (the JSON contract), extras last. */
export interface EvalRow {
  readonly detector: DetectorName;
  readonly scenario: ScenarioName;
  /** Labels of the detector's kinds planted, over all runs. */
  readonly planted: number;
  /** Detections, over all runs. */
  readonly found: number;
  /** true_positives / found; null when nothing was found. */
  readonly precision: number | null;
  /** true_positives / planted; null when nothing was planted (the `quiet` control). */
  readonly recall: number | null;
  /** Median of (detection ts - label start_ms) over the true positives; null without any. */
  readonly median_latency_ms: number | null;
  readonly true_positives: number;
  readonly runs: number;
}

/** `{"rows":[...]}`: JSON.stringify gives the command's --json output as is. */
export interface EvalReport {
  readonly rows: readonly EvalRow[];
}

export interface EvalOptions extends DetectOptions, MatchOptions {}

interface Acc {
  runs: number;
  planted: number;
  found: number;
  tp: number;
  latencies: number[];
}

/** Median of a non-empty list (mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function evaluateDetectors(runs: Iterable<SimRun>, opts: EvalOptions = {}): EvalReport {
  const acc = new Map<string, Acc>();
  for (const run of runs) {
    const detections = detect(run.events(), opts);
    // Complete only once the events are exhausted (src/sim/types.ts).
    const { labels } = run.labels();
    const scenario = run.config.scenario;
    for (const detector of DETECTOR_NAMES) {
      const m = matchRun(detector, detections, labels, opts);
      const key = `${detector}\n${scenario}`;
      let a = acc.get(key);
      if (!a) acc.set(key, (a = { runs: 0, planted: 0, found: 0, tp: 0, latencies: [] }));
      a.runs++;
      a.planted += m.planted;
      a.found += m.found;
      a.tp += m.truePositives;
      a.latencies.push(...m.latenciesMs);
    }
  }
  const rows: EvalRow[] = [];
  for (const detector of DETECTOR_NAMES) {
    for (const scenario of SCENARIOS) {
      const a = acc.get(`${detector}\n${scenario}`);
      if (!a) continue;
      rows.push({
        detector,
        scenario,
        planted: a.planted,
        found: a.found,
        precision: a.found > 0 ? a.tp / a.found : null,
        recall: a.planted > 0 ? a.tp / a.planted : null,
        median_latency_ms: a.latencies.length > 0 ? median(a.latencies) : null,
        true_positives: a.tp,
        runs: a.runs,
      });
    }
  }
  return { rows };
}
