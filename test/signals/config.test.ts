import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { defaultSignalsConfig } from '../../src/signals/index.js';

describe('signals config section', () => {
  it('has the research defaults', () => {
    expect(defaultSignalsConfig()).toMatchObject({
      overnightVarianceShare: 0.35,
      ewmaLambda: 0.94,
      minRealizedSessions: 20,
      vixBlendWeight: 0.5,
      gapKappa: 0.25,
      compositeWeights: { ES: 0.5, NQ: 0.3, RTY: 0.2 },
      earlyWarning: {
        staleSeconds: 300,
        escalateChecks: 2,
        escalateMinSeconds: 120,
        deescalateChecks: 3,
        deescalateMinutesRth: 30,
        deescalateMinutesOvernight: 60,
        exitFactor: 0.7,
        minDwellMinutes: { watch: 0, warning: 30, critical: 60 },
        breadthBasis: 'absolute',
        stateValidityMinutes: 15,
        deriveWindowMinutes: 360,
        checkEveryMinutes: 5,
      },
    });
  });

  it('merges partial sections and rejects unknown or out-of-range keys', () => {
    const config = configSchema.parse({
      signals: { compositeWeights: { ES: 0.6 }, earlyWarning: { exitFactor: 0.8 } },
    });
    expect(config.signals.compositeWeights).toEqual({ ES: 0.6, NQ: 0.3, RTY: 0.2 });
    expect(config.signals.earlyWarning.exitFactor).toBe(0.8);
    expect(config.signals.earlyWarning.minDwellMinutes.critical).toBe(60);
    expect(configSchema.safeParse({ signals: { overnightVarianceShare: 1.2 } }).success).toBe(false);
    expect(configSchema.safeParse({ signals: { earlyWarning: { breadthBasis: 'some' } } }).success).toBe(
      false,
    );
    expect(configSchema.safeParse({ signals: { typo: 1 } }).success).toBe(false);
  });

  it('rejects all-zero composite weights when the config is loaded', () => {
    const parsed = configSchema.safeParse({ signals: { compositeWeights: { ES: 0, NQ: 0, RTY: 0 } } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/all three weights are zero/);
    expect(
      configSchema.safeParse({ signals: { compositeWeights: { ES: 0, NQ: 0, RTY: 0.1 } } }).success,
    ).toBe(true);
  });
});
