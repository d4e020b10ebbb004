import type { PaymentEvent } from '../ingest/event.ts';
import type { Reason } from './decision.ts';
import type { ParsedListChange } from './list-change.ts';
import { LIST_FIELDS } from './rule-set.ts';

/** Rule ids of live-list reasons: `list.allow.console`, `list.block.console` (a bounded set, for metrics). */
export const LIVE_LIST_ID = 'console';

/** What a rule set consults besides its file lists: the live allow / block entries. */
export interface LiveListView {
  /** The reason the event is allowed by a live allow entry, or undefined. */
  allowReason(event: PaymentEvent): Reason | undefined;
  /** Appends a reason per live block entry the event matches (fields in LIST_FIELDS order); true if any. */
  addBlockReasons(event: PaymentEvent, into: Reason[]): boolean;
}

export interface LiveListSizes {
  allow: number;
  block: number;
}

type Entries = Map<string, Reason>[];

/**
 * The allow and block entries analysts add and remove at run time (the lists topic), kept outside the immutable
 * RuleSet so they survive rule-set swaps. Changes are applied in the order given (offset order); the latest change
 * of a (list, entity) wins. Each entry keeps its reason ready-made, so a hit allocates nothing.
 */
export class LiveLists implements LiveListView {
  private readonly allow: Entries = LIST_FIELDS.map(() => new Map());
  private readonly block: Entries = LIST_FIELDS.map(() => new Map());
  private allowCount = 0;
  private blockCount = 0;

  /** Applies one change; returns false when it changed nothing (a repeated add, or a remove of an absent entry). */
  apply(change: ParsedListChange): boolean {
    const entries = (change.list === 'allow' ? this.allow : this.block)[LIST_FIELDS.indexOf(change.field)]!;
    const had = entries.has(change.value);
    if (change.op === 'remove') {
      if (!had) return false;
      entries.delete(change.value);
      this.count(change.list, -1);
      return true;
    }
    entries.set(change.value, reasonOf(change));
    if (!had) this.count(change.list, 1);
    return true;
  }

  sizes(): LiveListSizes {
    return { allow: this.allowCount, block: this.blockCount };
  }

  allowReason(event: PaymentEvent): Reason | undefined {
    if (this.allowCount === 0) return undefined;
    for (let i = 0; i < LIST_FIELDS.length; i++) {
      const entries = this.allow[i]!;
      if (entries.size === 0) continue;
      const v = event[LIST_FIELDS[i]!];
      if (v === undefined) continue;
      const reason = entries.get(v);
      if (reason !== undefined) return reason;
    }
    return undefined;
  }

  addBlockReasons(event: PaymentEvent, into: Reason[]): boolean {
    if (this.blockCount === 0) return false;
    let blocked = false;
    for (let i = 0; i < LIST_FIELDS.length; i++) {
      const entries = this.block[i]!;
      if (entries.size === 0) continue;
      const v = event[LIST_FIELDS[i]!];
      if (v === undefined) continue;
      const reason = entries.get(v);
      if (reason === undefined) continue;
      into.push(reason);
      blocked = true;
    }
    return blocked;
  }

  private count(list: 'allow' | 'block', delta: number): void {
    if (list === 'allow') this.allowCount += delta;
    else this.blockCount += delta;
  }
}

function reasonOf(change: ParsedListChange): Reason {
  const who = `${change.by}, ${new Date(change.at).toISOString()}${change.reason === '' ? '' : `: ${JSON.stringify(change.reason)}`}`;
  return Object.freeze({
    rule: `list.${change.list}.${LIVE_LIST_ID}`,
    score: change.list === 'block' ? 100 : 0,
    detail: `${change.field} ${change.value} is on the ${change.list} list (${who})`,
  }) as Reason;
}
