/** `orderflow alerts test`: one message through each configured channel, each outcome said. */
import type { AlertsConfig } from '../../engine/alerts-config.ts';
import type { Alert } from './alert.ts';
import type { ChannelName } from './channel.ts';
import { channelsFromConfig, type ChannelOptions } from './channels-from-config.ts';
import type { SendOutcome } from './delivery.ts';

export function testAlert(now = Date.now()): Alert {
  return { rule: 'test', kind: 'test', ts: now, text: 'orderflow alerts test: this channel works', fields: {} };
}

/** Sends in parallel (one message each); never throws once the channels are built. */
export async function sendTestAlerts(config: AlertsConfig, opts: ChannelOptions = {}): Promise<{ channel: ChannelName; outcome: SendOutcome }[]> {
  const channels = channelsFromConfig(config.channels, opts);
  const alert = testAlert();
  return Promise.all(channels.map(async (c) => ({ channel: c.name, outcome: await c.send(alert) })));
}

/** `webhook: ok (HTTP 200, 1 attempt)` / `telegram: FAILED HTTP 401 Unauthorized (1 attempt)`. */
export function describeOutcome(channel: ChannelName, o: SendOutcome): string {
  const tries = `${o.attempts} attempt${o.attempts === 1 ? '' : 's'}`;
  return o.ok ? `${channel}: ok (${o.status !== undefined ? `HTTP ${o.status}, ` : ''}${tries})` : `${channel}: FAILED ${o.error ?? ''} (${tries})`;
}
