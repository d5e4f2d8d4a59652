/** What every alert channel is: a name and a `send` that never throws (its outcome says what happened). */
import type { Alert } from './alert.ts';
import type { SendOutcome } from './delivery.ts';

export type ChannelName = 'terminal' | 'webhook' | 'telegram';

export interface AlertChannel {
  readonly name: ChannelName;
  /** Deliver one alert, retries included; `signal` aborts it (shutdown). Never rejects. */
  send(alert: Alert, signal?: AbortSignal): Promise<SendOutcome>;
}
