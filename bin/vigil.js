#!/usr/bin/env -S node --max-semi-space-size=64 --min-semi-space-size=64
// --max-semi-space-size=64 (MB): scavenges at 1,000 events/s took 9.7-10.3 s a minute with the default 16, 5.9 s with 64 (docs/performance.md).
// --min-semi-space-size=64: V8 grows the young generation only slowly towards its maximum; starting there cut GC per event by a quarter in bench:e2e's steady state.
// Runs the TypeScript CLI through tsx's loader so `npx vigil` works without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
// `stack` is one-shot: exit even if a client library left a socket open (long-running commands return when done).
if (process.argv[2] === 'stack') process.exit(code);
process.exitCode = code;
