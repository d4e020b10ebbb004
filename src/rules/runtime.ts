import type { PaymentEvent } from '../ingest/event.ts';
import type { FeatureValues, Reason } from './decision.ts';

/**
 * Value semantics shared by the compiled evaluators and the reference interpreter.
 * A missing number is NaN and a missing string is undefined; a comparison with a missing value is false.
 */
export type Evaluator<T> = (event: PaymentEvent, features: FeatureValues, graphHits: readonly Reason[]) => T;

/** Score of the live (non-shadow) graph hit of that rule, NaN when there is none. */
export function graphScore(hits: readonly Reason[], rule: string): number {
  for (let i = 0; i < hits.length; i++) {
    const h = hits[i]!;
    if (h.rule === rule && h.shadow !== true) return h.score;
  }
  return NaN;
}

export function hourOf(ts: number): number {
  return Math.floor(ts / 3_600_000) % 24;
}

export function div(a: number, b: number): number {
  return b === 0 ? NaN : a / b;
}

export function log(a: number): number {
  return a > 0 ? Math.log(a) : NaN;
}

export function numNe(a: number, b: number): boolean {
  return a === a && b === b && a !== b; // NaN !== NaN: a missing side makes the comparison false
}

export function strEq(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && a === b;
}

export function strNe(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a !== b;
}

export function inSet(set: ReadonlySet<unknown>, x: number | string | undefined): boolean {
  return x !== undefined && x === x && set.has(x);
}

export function notInSet(set: ReadonlySet<unknown>, x: number | string | undefined): boolean {
  return x !== undefined && x === x && !set.has(x);
}

export function coalesce(...xs: number[]): number {
  for (const x of xs) if (x === x) return x;
  return NaN;
}

export const HELPERS = { graphScore, hourOf, div, log, numNe, strEq, strNe, inSet, notInSet, coalesce };
