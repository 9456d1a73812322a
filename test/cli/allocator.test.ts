import { describe, expect, it } from 'vitest';
import { configureAllocator, isLongRun, LONG_RUN_ALLOCATOR_CONF } from '../../src/cli/allocator.js';

describe('DuckDB allocator settings for a long-running collector', () => {
  it('applies to collect --loop and --until, wherever the options stand, and to nothing else', () => {
    expect(isLongRun(['collect', '--loop'])).toBe(true);
    expect(isLongRun(['--data-dir', '/d', 'collect', '--until', '09:25'])).toBe(true);
    expect(isLongRun(['collect', '--until=2026-11-20 09:25', '--json'])).toBe(true);
    expect(isLongRun(['collect', '--once'])).toBe(false);
    expect(isLongRun(['collect', '--rounds', '5'])).toBe(false);
    expect(isLongRun(['demo'])).toBe(false);
    expect(isLongRun(['status', '--json'])).toBe(false);
  });

  it('sets the variable for a long run unless the user set it', () => {
    const env: NodeJS.ProcessEnv = {};
    configureAllocator(['collect', '--loop'], env);
    expect(env.DUCKDB_JE_MALLOC_CONF).toBe(LONG_RUN_ALLOCATOR_CONF);
    const mine: NodeJS.ProcessEnv = { DUCKDB_JE_MALLOC_CONF: 'background_thread:true' };
    configureAllocator(['collect', '--loop'], mine);
    expect(mine.DUCKDB_JE_MALLOC_CONF).toBe('background_thread:true');
    const short: NodeJS.ProcessEnv = {};
    configureAllocator(['collect', '--once'], short);
    expect(short).toEqual({});
  });
});
