import { DataError, StaleDataError } from '../core/errors.js';

/** An input value the loader should never produce (NaN, zero or negative price, unsorted path…). */
export class InvalidSignalInputError extends DataError {
  constructor(path: string, problem: string) {
    super(`signal input ${path} ${problem}`, {
      hint: 'The lake holds a value the signals cannot use; run `futures table verify` and check the loader filter.',
    });
  }
}

/** Nothing usable to compute the signal from (every index dropped, or no volatility reference). */
export class NoUsableInputError extends StaleDataError {}
