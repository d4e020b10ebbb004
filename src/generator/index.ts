export { SyntheticStream, type GeneratedEvent, type Scenario, type SyntheticOptions } from './synthetic.ts';
export { Random } from './random.ts';
