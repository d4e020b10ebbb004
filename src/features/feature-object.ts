import type { FeatureValues } from '../rules/decision.ts';
import type { EntityPlan } from './plan.ts';

type Build = (outputs: readonly (readonly number[] | undefined)[]) => FeatureValues;

/**
 * Builds an event's features as one object literal per combination of entities present (compiled once each, like
 * src/rules/compile.ts), so every feature object of that combination has the same shape. Adding two dozen
 * properties one by one under computed names turns an object into a slow dictionary, which the rules then read
 * and the sink serialises.
 */
export class FeatureObjects {
  private readonly built = new Map<number, Build>();

  constructor(private readonly plans: readonly EntityPlan[]) {}

  /** `outputs[p]`: plan p's outputs for the event, undefined when the event does not name that entity; `mask` has bit p set for each defined one. */
  build(mask: number, outputs: readonly (readonly number[] | undefined)[]): FeatureValues {
    let build = this.built.get(mask);
    if (build === undefined) this.built.set(mask, (build = this.compile(mask)));
    return build(outputs);
  }

  private compile(mask: number): Build {
    const entries: string[] = [];
    this.plans.forEach((plan, p) => {
      if ((mask & (1 << p)) === 0) return;
      for (const read of plan.reads) {
        const value = read.countOutput === undefined ? `o${p}[${read.output}]` : `(o${p}[${read.countOutput}] === 0 ? 0 : o${p}[${read.output}] / o${p}[${read.countOutput}])`;
        entries.push(`${JSON.stringify(read.name)}: ${value}`);
      }
    });
    const locals = this.plans.map((_, p) => ((mask & (1 << p)) === 0 ? '' : `const o${p} = outputs[${p}];`)).join(' ');
    return new Function('outputs', `"use strict"; ${locals} return { ${entries.join(', ')} };`) as Build;
  }
}
