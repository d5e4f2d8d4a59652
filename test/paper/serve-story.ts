/**
 * A story on the simulator's three loopback exchanges, its feed held until every stream of the
 * paper session is subscribed (so no event goes out before the clients listen).
 */
import type { MarketEvent } from '../../src/core/events.ts';
import { serveSimulation, SERVE_ENV_KEYS, type SimServing } from '../../src/sim/serve.ts';
import { waitFor } from '../helpers/wait.ts';
import { allSubscribed, storyRun } from './story.ts';

export interface ServedStory {
  readonly serving: SimServing;
  /** Waits for every subscription, then lets the feed go; resolves when all is published. */
  play(): Promise<void>;
}

/** `speed`: exchange ms per wall ms, default 0 (as fast as the servers take them); `tradeHistory`: the servers' REST history per symbol (serveSimulation). */
export async function serveStory(events: readonly MarketEvent[], t0: number, speed = 0, tradeHistory?: number): Promise<ServedStory> {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const serving = await serveSimulation(storyRun(events, t0), { speed, startWhen: gate, tradeHistory });
  return {
    serving,
    async play() {
      await waitFor(() => allSubscribed(serving), 'every stream subscribed on the loopback servers', 20_000, 20);
      open();
      await serving.done;
    },
  };
}

/** Points this process's live clients at the servers; returns the undo. */
export function useServers(serving: SimServing): () => void {
  const saved = SERVE_ENV_KEYS.map((k) => [k, process.env[k]] as const);
  Object.assign(process.env, serving.env);
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
