import { readFileSync } from 'node:fs';

let engineVersion: string | undefined;

/** "futures-signals/<version>" for commitInfo.engineInfo. */
export function engineInfo(): string {
  if (engineVersion === undefined) {
    try {
      const pkg: unknown = JSON.parse(
        readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
      );
      const version = typeof pkg === 'object' && pkg !== null && 'version' in pkg ? pkg.version : undefined;
      engineVersion = typeof version === 'string' ? version : 'unknown';
    } catch {
      engineVersion = 'unknown';
    }
  }
  return `futures-signals/${engineVersion}`;
}
