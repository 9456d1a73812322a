import type { OutputStream } from './context.js';

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

export type LogLevel = 'quiet' | 'info' | 'debug';

export function createLogger(stderr: OutputStream, level: LogLevel): Logger {
  const write = (line: string) => stderr.write(`${line}\n`);
  return {
    debug: (m) => {
      if (level === 'debug') write(m);
    },
    info: (m) => {
      if (level !== 'quiet') write(m);
    },
    warn: (m) => write(`warning: ${m}`),
  };
}
