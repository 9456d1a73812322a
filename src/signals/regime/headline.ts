import { etParts } from '../../market/index.js';
import type { PriorStateInfo, RegimeDocument } from '../schemas.js';

/** The first line of `signals regime` and the early-warning echo of a pre-market document. */

function etClock(iso: string | null): string {
  return iso === null ? '–' : etParts(new Date(iso)).time;
}

/** "state derived from 72 checks since 03:25 ET" and the like; null for a state carried from the previous check of a replay. */
export function priorStateText(p: PriorStateInfo): string | null {
  const stale =
    p.staleRecordedAt === null ? '' : ` (the recorded state of ${etClock(p.staleRecordedAt)} ET is too old)`;
  switch (p.source) {
    case 'recorded':
      return `state recorded at ${etClock(p.recordedAt)} ET`;
    case 'derived':
      return p.derivation === null
        ? `state derived from the lake${stale}`
        : `state derived from ${p.derivation.checks} checks since ${etClock(p.derivation.firstCheckAt)} ET${stale}`;
    case 'none':
      return p.derivation === null
        ? 'no prior state'
        : `no prior state: no check could be replayed since ${etClock(p.derivation.from)} ET${stale}`;
    case 'carried':
      return null;
  }
}

/** `REGIME WARNING (candidate CRITICAL, 1/2 checks) · state derived from 72 checks since 03:25 ET`. */
export function regimeHeadline(doc: RegimeDocument): string {
  const parts: string[] = [];
  if (doc.candidate !== doc.level) parts.push(`candidate ${doc.candidate.toUpperCase()}`);
  if (doc.pending !== null) parts.push(`${doc.pending.checks}/${doc.pending.checksNeeded} checks`);
  const head = `REGIME ${doc.level.toUpperCase()}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
  const state = priorStateText(doc.priorState);
  return state === null ? head : `${head} · ${state}`;
}
