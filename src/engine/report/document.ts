/**
 * The head every self-contained HTML report opens with (the backtest report, the journal report):
 * charset, viewport, the report's Content-Security-Policy, the title and the shared styles.
 */
import { escapeHtml } from './format.ts';
import { REPORT_CSS } from './styles.ts';

/** `<!DOCTYPE html>` through `</head>`, one line each. */
export function documentHead(title: string, csp: string): string[] {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="generator" content="orderflow">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
  ];
}
