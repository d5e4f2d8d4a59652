/**
 * Rules + channels as one object, what `watch`, `record` and `paper` hold: feed it events (and,
 * in `paper`, engine outputs); matching bursts go to every channel in the background.
 */
import type { AlertsConfig } from '../../engine/alerts-config.ts';
import { loadConfig } from '../../engine/config.ts';
import { UsageError } from '../../core/errors.ts';
import type { CaptureRecord } from '../../core/events.ts';
import type { LiveHandlers } from '../../venues/live/types.ts';
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
 * Alerts for a market-data command (`watch`, `record`): flow and liquidation rules only. The
 * rules it cannot evaluate (signal and outcome rules need the engine; a flow rule needs the
 * trades channel, a liquidations rule the liquidations channel) are named in `ignored`, with why,
 * for the command to say.
 */
export function marketAlerts(file: string, opts: ChannelOptions = {}, channels: readonly string[] = ['trades', 'liquidations']): { alerts: LiveAlerts; ignored: string[] } {
  const config = loadAlertsConfig(file);
  const ignored: string[] = [];
  const market = config.rules.filter((r) => {
    if (r.kind === 'signal' || r.kind === 'outcome') ignored.push(`${r.name} (${r.kind}) needs the strategy engine: only orderflow paper evaluates it`);
    else if (r.kind === 'flow' && !channels.includes('trades')) ignored.push(`${r.name} (flow) needs the trades channel`);
    else if (r.kind === 'liquidations' && !channels.includes('liquidations')) ignored.push(`${r.name} (liquidations) needs the liquidations channel`);
    else return true;
    return false;
  });
  return { alerts: new LiveAlerts({ ...config, rules: market }, opts), ignored };
}

/** `handlers` whose events also go to `alerts`, after the handler's own work. */
export function withAlerts(handlers: LiveHandlers, alerts: LiveAlerts | undefined): LiveHandlers {
  if (!alerts) return handlers;
  return {
    ...handlers,
    onEvents: (records, localTs) => {
      handlers.onEvents(records, localTs);
      alerts.onEvents(records);
    },
  };
}
