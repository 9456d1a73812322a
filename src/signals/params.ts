import type { z } from 'zod';
import { signalsConfigSchema } from '../config/schema.js';

/** The `signals` config section: every tunable of the signal functions, with defaults. */
export type SignalsConfig = z.output<typeof signalsConfigSchema>;
export type EarlyWarningConfig = SignalsConfig['earlyWarning'];

export function defaultSignalsConfig(): SignalsConfig {
  return signalsConfigSchema.parse({});
}

export const TRADING_DAYS_PER_YEAR = 252;
/** Minutes of the NYSE regular session and of the rest of the CME day (research §4.1 variance profile). */
export const RTH_MINUTES = 390;
export const NON_RTH_MINUTES = 990;
/** Hard overnight price limit and the RTH downside limits, as fractions of the reference (research §1.1). */
export const OVERNIGHT_LIMIT = 0.07;
export const RTH_DOWN_LIMITS = [0.07, 0.13, 0.2] as const;
