/** The report's stylesheet: plain CSS, dark text on light, print-friendly. */
export const REPORT_CSS = `
:root {
  --fg: #1f2328; --muted: #57606a; --line: #d0d7de; --zebra: #f6f8fa; --bg: #ffffff;
  --good: #1a7f37; --bad: #c62828; --warn-bg: #fff8e1; --warn-line: #b26a00;
  --ok-bg: #eef8f0; --ok-line: #1a7f37; --info-bg: #f1f5fb; --info-line: #1f4e9c;
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--fg); }
body {
  margin: 0 auto; max-width: 1280px; padding: 24px 28px 48px;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 8px; }
p { margin: 6px 0; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
pre { background: var(--zebra); border: 1px solid var(--line); padding: 10px; overflow: auto; max-height: 480px; }
.sub { color: var(--muted); }
.note { color: var(--muted); font-size: 12.5px; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.pos { color: var(--good); }
.neg { color: var(--bad); }
.nowrap { white-space: nowrap; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; }
nav.toc { margin: 12px 0 0; font-size: 13px; }
nav.toc a { margin-right: 12px; color: var(--info-line); }
.box { border: 1px solid var(--line); border-left-width: 6px; border-radius: 4px; padding: 12px 16px; margin: 16px 0; }
.box h2 { border: 0; margin: 0 0 6px; padding: 0; }
.box.warnings { background: var(--warn-bg); border-color: var(--warn-line); }
.box.warnings ul { margin: 6px 0 0 18px; padding: 0; font-weight: 600; }
.box.verdict { background: var(--warn-bg); border-color: var(--warn-line); }
.box.verdict.edge { background: var(--ok-bg); border-color: var(--ok-line); }
.box.verdict.none { background: var(--info-bg); border-color: var(--info-line); }
.box.verdict .words { font-size: 18px; font-weight: 650; margin: 4px 0 8px; }
.box.headline { background: var(--info-bg); border-color: var(--info-line); }
.box.error { background: #fdecea; border-color: var(--bad); font-weight: 600; }
.table-wrap { overflow-x: auto; margin: 8px 0; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; text-align: left; }
thead th { background: var(--zebra); border-bottom: 2px solid var(--line); position: sticky; top: 0; }
tbody tr:nth-child(even) td { background: #fafbfc; }
tr.liquidated td { background: #fdecea !important; }
table.metrics th[scope=row] { font-weight: 500; white-space: nowrap; }
table.metrics td.val { font-weight: 600; }
.chart { position: relative; width: 100%; height: 420px; border: 1px solid var(--line); margin: 8px 0; }
.chart.price { height: 520px; }
.legend span { display: inline-block; margin-right: 14px; }
.swatch { display: inline-block; width: 12px; height: 12px; vertical-align: -2px; margin-right: 4px; border: 1px solid rgba(0,0,0,0.25); }
.empty { padding: 18px; border: 1px dashed var(--line); color: var(--muted); text-align: center; margin: 8px 0; }
svg.hist { display: block; margin: 8px 0; max-width: 100%; height: auto; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  nav.toc, #fit-levels-label { display: none; }
  h2 { break-after: avoid; }
  .box, .chart, tr { break-inside: avoid; }
  thead th { position: static; }
  .table-wrap { overflow: visible; }
  table { font-size: 10px; }
  a { color: inherit; text-decoration: none; }
  .chart { height: 340px; }
  .chart.price { height: 420px; }
}
`;
