import type { CreateIbWire } from './wire.js';

/** How the CLI, the demo and tests point the module at a gateway or inject a fake client. */
export interface IbFactory {
  /** Connect here instead of config ib.host/ib.port (e.g. a simulator started by the demo). */
  target?: { host: string; port: number };
  /** Makes the wire for one connection attempt; the default wraps @stoqey/ib's IBApi. */
  createWire?: CreateIbWire;
}

/** Whether an untyped value has the shape of an IbFactory (`{ target?, createWire? }`). */
export function isIbFactory(value: unknown): value is IbFactory {
  if (value === null || typeof value !== 'object') return false;
  const target: unknown = Reflect.get(value, 'target');
  const createWire: unknown = Reflect.get(value, 'createWire');
  const targetOk =
    target === undefined ||
    (target !== null &&
      typeof target === 'object' &&
      typeof Reflect.get(target, 'host') === 'string' &&
      Number.isInteger(Reflect.get(target, 'port')));
  return targetOk && (createWire === undefined || typeof createWire === 'function');
}

/** An untyped value as an IbFactory; undefined or null means the real gateway from config. */
export function ibFactoryFrom(value: unknown): IbFactory | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isIbFactory(value))
    throw new TypeError('ctx.ibFactory is not an IbFactory ({ target?, createWire? })');
  return value;
}
