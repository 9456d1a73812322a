/**
 * IB Gateway simulator: speaks the TWS wire protocol (server version 193) over loopback TCP so the
 * unmodified @stoqey/ib client can be tested without an IB account. It does not import @stoqey/ib.
 */

import { parseScenario, type Scenario, ScenarioError } from './scenario.js';
import calm from './scenarios/calm.json' with { type: 'json' };
import crash from './scenarios/crash.json' with { type: 'json' };
import flaky from './scenarios/flaky.json' with { type: 'json' };
import gapUp from './scenarios/gap-up.json' with { type: 'json' };
import selloff from './scenarios/selloff.json' with { type: 'json' };

export {
  CodecError,
  type DecodedItem,
  encodeFrame,
  encodeHandshake,
  FrameDecoder,
  type Handshake,
} from './codec.js';
export { type Bar, MarketModel, type Quote } from './market/model.js';
export { SERVER_VERSION } from './protocol.js';
export { type RecordEntry, type ReplayServer, readRecording, startReplay } from './recording.js';
export {
  type Fault,
  type FaultType,
  loadScenario,
  type MarketEvent,
  parseScenario,
  type Scenario,
  ScenarioError,
  type ScenarioInput,
} from './scenario.js';
export {
  CannotListenError,
  PortInUseError,
  type Simulator,
  type SimulatorOptions,
  type SimulatorStats,
  startSimulator,
} from './server.js';
export type { SessionInfo } from './types.js';

const BUILTIN: Readonly<Record<string, unknown>> = { calm, selloff, 'gap-up': gapUp, crash, flaky };

export const BUILTIN_SCENARIOS: readonly string[] = Object.keys(BUILTIN);

/** A scenario shipped with the simulator: calm, selloff, gap-up, crash, flaky. */
export function builtinScenario(name: string): Scenario {
  const raw = BUILTIN[name];
  if (raw === undefined) {
    throw new ScenarioError(
      `unknown scenario '${name}' (built in: ${BUILTIN_SCENARIOS.join(', ')}; or give a JSON file path)`,
    );
  }
  return parseScenario(raw, `scenario ${name}`);
}

/** A clock that starts at `start` and runs `speed` times faster than the wall clock. */
export function acceleratedClock(
  start: Date,
  speed: number,
  wall: () => number = () => Date.now(),
): () => Date {
  const wallStart = wall();
  const simStart = start.getTime();
  return () => new Date(simStart + (wall() - wallStart) * speed);
}
