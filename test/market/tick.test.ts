import { describe, expect, it } from 'vitest';
import {
  midOnTick,
  onHalfTick,
  onTick,
  pointsOnTick,
  tidyPoints,
  tidyPrice,
} from '../../src/market/price.js';

describe('prices on the tick grid', () => {
  it('rounds to the instrument tick without binary noise', () => {
    expect(onTick('RTY', 2564.1499999999996)).toBe(2564.1);
    expect(onTick('RTY', 2564.16)).toBe(2564.2);
    expect(onTick('ES', 6001.13)).toBe(6001.25);
    expect(onTick('ES', 6001.12)).toBe(6001);
    expect(onTick('VIX', 17.234999999)).toBe(17.23);
    expect(onTick('ES', null)).toBeNull();
  });

  it('keeps a mid on the half-tick grid', () => {
    expect(midOnTick('RTY', 2564.1, 2564.2)).toBe(2564.15);
    expect((2564.1 + 2564.2) / 2).not.toBe(2564.15);
    expect(midOnTick('ES', 6000, 6000.25)).toBe(6000.125);
    expect(midOnTick('ES', 6000.25, 6000)).toBeNull();
    expect(midOnTick('ES', null, 6000)).toBeNull();
    expect(onHalfTick('RTY', 2100.0500000000002)).toBe(2100.05);
    expect(onHalfTick('NQ', 21000.12500000001)).toBe(21000.125);
  });

  it('gives spreads and point moves as whole ticks', () => {
    expect(2564.2 - 2564.1).not.toBe(0.1);
    expect(pointsOnTick('RTY', 2564.2 - 2564.1)).toBe(0.1);
    expect(pointsOnTick('ES', 6010.5 - 6000.25)).toBe(10.25);
  });

  it('removes binary noise from stored values but keeps an off-grid value as it is', () => {
    expect(tidyPrice('RTY', 2564.1499999999996)).toBe(2564.15);
    expect(tidyPoints('RTY', 0.09999999999990905)).toBe(0.1);
    expect(tidyPrice('ES', 6162.790243902439)).toBe(6162.790243902439);
    expect(tidyPrice('ES', 6000.125000000001)).toBe(6000.125);
  });
});
