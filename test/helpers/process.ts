/** Child processes and addresses for CLI tests that keep a loopback server in this process. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `cmd` to its exit without blocking this process's event loop (spawnSync would stall the servers living here). */
export async function runProcess(cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv, cwd?: string): Promise<ProcessResult> {
  const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const [code] = await once(child, 'close');
  return { code, stdout, stderr };
}

/** `127.0.0.1:<port>` where nothing listens: the port was free a moment ago, so connections are refused. */
export async function closedAddress(): Promise<string> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return `127.0.0.1:${port}`;
}

/**
 * Run `cmd` once per argument list, at most `limit` at a time, results in the order given: for
 * tests that check many independent commands (each only reads), whose time is mostly process
 * start-up, which two cores do side by side.
 */
export async function runEach(cmd: string, argLists: readonly (readonly string[])[], env?: NodeJS.ProcessEnv, limit = 4): Promise<ProcessResult[]> {
  const results: ProcessResult[] = new Array(argLists.length);
  let next = 0;
  const lane = async () => {
    while (next < argLists.length) {
      const i = next++;
      results[i] = await runProcess(cmd, argLists[i], env);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, argLists.length) }, lane));
  return results;
}
