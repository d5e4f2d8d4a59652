/**
 * Rules + channels as one object, what `watch`, `record` and `paper` hold: feed it events (and,
 * in `paper`, engine outputs); matching bursts go to every channel in the background.
 */
import type { AlertsConfig } from '../../engine/alerts-config.ts';
import { loadConfig } from '../../engine/config.ts';
import { UsageError } from '../../core/errors.ts';
import type { CaptureRecord } from '../../core/events.ts';
import type { EngineOutput } from './alert.ts';
import { channelsFromConfig, type ChannelOptions } from './channels-from-config.ts';
import { AlertDispatcher, alertStatusText, type ChannelStatus } from './dispatcher.ts';
import { AlertRules } from './rules.ts';

export class LiveAlerts {
  readonly rules: AlertRules;
  readonly dispatcher: AlertDispatcher;
  /** Alerts fired so far (all channels together count once). */
  fired = 0;

  constructor(config: AlertsConfig, opts: ChannelOptions = {}) {
    this.dispatcher = new AlertDispatcher(channelsFromConfig(config.channels, opts));
    this.rules = new AlertRules(config.rules, (a) => {
      this.fired++;
      this.dispatcher.dispatch(a);
    });
  }

  onEvents(records: readonly CaptureRecord[]): void {
    this.rules.onEvents(records);
  }

  onEngine(x: EngineOutput): void {
    this.rules.onEngine(x);
  }

  advanceTo(ts: number): void {
    this.rules.advanceTo(ts);
  }

  status(): ChannelStatus[] {
    return this.dispatcher.status();
  }

  /** For a status line: `alerts: 2 fired; webhook 2 sent; telegram FAILING ...`. */
  statusText(): string {
    const channels = alertStatusText(this.status());
    return `alerts: ${this.fired} fired; ${channels || 'no channel on (alerts.channels)'}`;
  }

  close(graceMs?: number): Promise<void> {
    return this.dispatcher.close(graceMs);
  }
}

/** The `alerts:` block of a config file; an error when it has none (the file was given for its alerts). */
export function loadAlertsConfig(file: string): AlertsConfig {
  const c = loadConfig(file);
  if (!c.alerts) throw new UsageError(`${file}: no alerts: block (docs/LIVE.md "Alerts" shows one)`);
  return c.alerts;
}

/**
 * Alerts for a market-data command (`watch`, `record`): flow and liquidation rules only, so the
 * rules that need the engine are named in `ignored` for the command to say so.
 */
export function marketAlerts(file: string, opts: ChannelOptions = {}): { alerts: LiveAlerts; ignored: string[] } {
  const config = loadAlertsConfig(file);
  const market = config.rules.filter((r) => r.kind === 'flow' || r.kind === 'liquidations');
  const ignored = config.rules.filter((r) => r.kind === 'signal' || r.kind === 'outcome').map((r) => `${r.name} (${r.kind})`);
  return { alerts: new LiveAlerts({ ...config, rules: market }, opts), ignored };
}
