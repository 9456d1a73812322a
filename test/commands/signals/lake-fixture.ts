import { runProgram } from '../../../src/cli/program.js';
import { signalsCommands } from '../../../src/commands/signals/index.js';
import { appendSnapshots, type SnapshotRecord } from '../../../src/lake/index.js';
import { testCtx } from '../../helpers/ctx.js';
import { snapshots, vixSnapshot } from '../../lake/inputs/fixtures.js';

const MIN = 60_000;
export const CRASH_START = Date.parse('2026-03-10T10:00:00Z'); // 06:00 EDT Tue
export const CRASH_LOW = Date.parse('2026-03-10T11:00:00Z'); // 07:00 EDT, −3.2 %
export const RECOVERED = Date.parse('2026-03-10T11:08:00Z'); // back to −1 %

/** Calm wiggle; with `crash`, a −3.2 % slide 06:00→07:00 EDT on Tue 2026-03-10, then a bounce to −1 %. */
export function priceOf(base: number, crash: boolean, beta = 1) {
  return (t: Date) => {
    const ms = t.getTime();
    const calm = base * (1 + 0.0008 * Math.sin(ms / (97 * MIN)));
    if (!crash || ms <= CRASH_START) return calm;
    let drop: number;
    if (ms <= CRASH_LOW) drop = (0.032 * (ms - CRASH_START)) / (CRASH_LOW - CRASH_START);
    else if (ms <= RECOVERED) drop = 0.032 - (0.022 * (ms - CRASH_LOW)) / (RECOVERED - CRASH_LOW);
    else drop = 0.01;
    return calm * (1 - drop * beta);
  };
}

/** ES/NQ/RTY every 5 minutes from Fri 2026-03-06 14:00Z to Tue 2026-03-10 16:00Z, VIX prints every 5 minutes. */
export async function buildSignalLake(dir: string, options: { crash?: boolean } = {}): Promise<void> {
  const crash = options.crash === true;
  const from = '2026-03-06T14:00:00Z';
  const to = '2026-03-10T16:00:00Z';
  const rows: SnapshotRecord[] = [
    ...snapshots({
      symbol: 'ES',
      conId: 1,
      localSymbol: 'ESH6',
      from,
      to,
      stepMs: 5 * MIN,
      price: priceOf(6000, crash),
    }),
    ...snapshots({
      symbol: 'NQ',
      conId: 2,
      localSymbol: 'NQH6',
      from,
      to,
      stepMs: 5 * MIN,
      price: priceOf(21000, crash, 1.2),
    }),
    ...snapshots({
      symbol: 'RTY',
      conId: 3,
      localSymbol: 'RTYH6',
      from,
      to,
      stepMs: 5 * MIN,
      price: priceOf(2100, crash, 1.1),
    }),
  ];
  for (let t = Date.parse(from); t <= Date.parse(to); t += 5 * MIN) {
    const level = crash && t > CRASH_START && t <= RECOVERED ? 25 : 17;
    rows.push(vixSnapshot(new Date(t), level, 17));
  }
  await appendSnapshots(dir, rows);
}

const spec = { name: 'signals' as const, description: 'signals', commands: signalsCommands };
/** The end of the fixture lake, the default clock of the in-process runs. */
export const NOW = () => new Date('2026-03-10T16:00:00Z');

/** One in-process `signals` run on a fixed clock; its exit code and captured output. */
export async function runSignals(
  args: string[],
  now: () => Date = NOW,
  options: { tty?: boolean; env?: Record<string, string> } = {},
) {
  const ctx = testCtx({ now, env: options.env ?? { NO_COLOR: '1' }, tty: options.tty ?? false });
  const code = await runProgram(spec, args, ctx);
  return { code, stdout: ctx.stdout.text(), stderr: ctx.stderr.text() };
}
