/** `quiet`: the background market only (no plant): the detectors' false-positive control. */
import type { Scenario } from '../scenario.ts';

export const quiet: Scenario = {
  name: 'quiet',
  summary: 'the background market only, nothing planted (false-positive control)',
  defaultDurationMs: 2 * 3_600_000,
  setup: () => () => [],
};
