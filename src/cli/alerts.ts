/**
 * `orderflow alerts test --config FILE`: one test message through each channel of the config's
 * `alerts:` block, and what became of it per channel.
 */
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { loadAlertsConfig } from '../paper/alerts/live-alerts.ts';
import { describeOutcome, sendTestAlerts } from '../paper/alerts/test-send.ts';

export function registerAlerts(program: Command): void {
  const alerts = program
    .command('alerts')
    .description('alert rules and channels (terminal, webhook, Telegram) from the config file: send a test message')
    .addHelpText(
      'after',
      `
Rules and channels live in the strategy config's alerts: block (docs/LIVE.md "Alerts"); they
are evaluated live by orderflow watch --config FILE and orderflow record --config FILE.

Examples:
  $ orderflow alerts test --config strategy.yaml`,
    );
  alerts
    .command('test')
    .description('send one test message through each configured channel and say what happened')
    .requiredOption('--config <file>', 'strategy config (YAML or JSON) with an alerts: block')
    .addHelpText(
      'after',
      `
Each channel gets one message, with the retries it would use live (webhook and Telegram: 5xx,
429 and timeouts retried with backoff, up to maxAttempts). One line per channel: ok with the
HTTP status, or FAILED with the status or error (secrets never shown). Exit status 1 when a
channel failed, 2 when the config is wrong or a secret's environment variable is not set.`,
    )
    .action(async (opts: { config: string }) => {
      const config = loadAlertsConfig(opts.config);
      const results = await sendTestAlerts(config, { terminal: (line) => console.log(line) });
      if (results.length === 0) throw new UsageError(`${opts.config}: alerts.channels: no channel is on (terminal: true, webhook: {...} or telegram: {...})`);
      for (const r of results) console.log(describeOutcome(r.channel, r.outcome));
      if (results.some((r) => !r.outcome.ok)) process.exitCode = 1;
    });
}
