/** The terminal channel: one line per alert, to stderr unless the command shows them itself (watch redraws the screen). */
import type { Alert } from './alert.ts';
import type { AlertChannel } from './channel.ts';
import type { SendOutcome } from './delivery.ts';

export function alertLine(a: Alert): string {
  return `ALERT ${new Date(a.ts).toISOString()} ${a.text}`;
}

export class TerminalChannel implements AlertChannel {
  readonly name = 'terminal';

  constructor(private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)) {}

  send(alert: Alert): Promise<SendOutcome> {
    try {
      this.write(alertLine(alert));
      return Promise.resolve({ ok: true, attempts: 1 });
    } catch (e) {
      return Promise.resolve({ ok: false, attempts: 1, error: e instanceof Error ? e.message : String(e) });
    }
  }
}
