import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SHARED = fileURLToPath(new URL('../../../shared', import.meta.url));

export interface BinResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs the built binary (dist/, built by `npm test` first) as a user would. */
export async function runBin(
  bin: 'futures' | 'signals',
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<BinResult> {
  const result = await execa(process.execPath, [`${ROOT}bin/${bin}.js`, ...args], {
    reject: false,
    cwd: options.cwd ?? ROOT,
    env: { NO_COLOR: '1', ...options.env },
    extendEnv: true,
    input: options.input ?? '',
    timeout: options.timeoutMs ?? 120_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}
