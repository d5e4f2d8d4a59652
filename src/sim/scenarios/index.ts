/** The scenario registry, keyed by the names of SCENARIOS (src/sim/types.ts). */
import type { Scenario } from '../scenario.ts';
import type { ScenarioName } from '../types.ts';
import { absorption } from './absorption.ts';
import { bait } from './bait.ts';
import { longCascade, shortSqueeze } from './cascade.ts';
import { disagree } from './disagree.ts';
import { divergence } from './divergence.ts';
import { quiet } from './quiet.ts';
import { sessions } from './sessions.ts';

export const SCENARIO_MODULES: Record<ScenarioName, Scenario> = {
  'long-cascade': longCascade,
  'short-squeeze': shortSqueeze,
  absorption,
  divergence,
  bait,
  disagree,
  sessions,
  quiet,
};
