/**
 * `GET /api/runs` lists the backtest run folders under `<home>/runs` (as `orderflow backtest`
 * writes them: summary.json, report.html), newest first; `GET /runs/:id/report.html` serves a
 * run's report. An id is a folder name, never a path: anything else is 404.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { RunsResponse } from '../api.ts';
import { HttpError } from '../http-error.ts';

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

interface Summary {
  meta?: { symbol?: string };
  metrics?: { count?: number; netPnl?: number; winRate?: number | null };
}

export function runsRoutes(app: FastifyInstance, home: string): void {
  const dir = join(home, 'runs');
  app.get('/api/runs', async (): Promise<RunsResponse> => {
    if (!existsSync(dir)) return { runs: [] };
    const runs: RunsResponse['runs'][number][] = [];
    for (const id of readdirSync(dir)) {
      if (!ID.test(id) || !existsSync(join(dir, id, 'report.html'))) continue;
      let s: Summary = {};
      try {
        s = JSON.parse(readFileSync(join(dir, id, 'summary.json'), 'utf8')) as Summary;
      } catch {
        // A run without a readable summary still has its report.
      }
      const m = s.metrics ?? {};
      const headline = m.count === undefined ? '' : `${m.count} trades, net ${m.netPnl?.toFixed(2) ?? '?'}${m.winRate === null || m.winRate === undefined ? '' : `, ${(m.winRate * 100).toFixed(0)}% won`}`;
      runs.push({ id, createdMs: statSync(join(dir, id, 'report.html')).mtimeMs, symbol: s.meta?.symbol ?? '', headline, reportUrl: `/runs/${encodeURIComponent(id)}/report.html` });
    }
    runs.sort((a, b) => b.createdMs - a.createdMs);
    return { runs };
  });
  app.get('/runs/:id/report.html', async (req, reply) => {
    const { id } = req.params as { id: string };
    const file = join(dir, id, 'report.html');
    if (!ID.test(id) || !existsSync(file)) throw new HttpError(404, `no run ${JSON.stringify(id)}`);
    return reply.type('text/html; charset=utf-8').send(readFileSync(file));
  });
}
