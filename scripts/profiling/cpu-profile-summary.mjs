#!/usr/bin/env node
// Summarises a V8 .cpuprofile (node --cpu-prof): the functions with the most self time, and with --inclusive the
// functions with the most time including their callees (each function counted once per sample, so recursion does
// not inflate it). Shares are of all samples, idle and garbage collection included.
//
//   node scripts/profiling/cpu-profile-summary.mjs PROFILE.cpuprofile [--top 40] [--inclusive] [--match REGEX]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { frameName } from './frame-name.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '40' }, inclusive: { type: 'boolean', default: false }, match: { type: 'string' } },
});
if (positionals.length !== 1) {
  process.stderr.write('usage: cpu-profile-summary.mjs PROFILE.cpuprofile [--top 40] [--inclusive] [--match REGEX]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(positionals[0], 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

const nameOf = (node) => frameName(node.callFrame);

const sampled = new Map();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  sampled.set(id, (sampled.get(id) ?? 0) + dt);
  total += dt;
});

const times = new Map();
for (const [id, dt] of sampled) {
  if (!values.inclusive) {
    const name = nameOf(nodes.get(id));
    times.set(name, (times.get(name) ?? 0) + dt);
    continue;
  }
  const seen = new Set();
  for (let at = id; at !== undefined; at = parentOf.get(at)) {
    const name = nameOf(nodes.get(at));
    if (seen.has(name)) continue;
    seen.add(name);
    times.set(name, (times.get(name) ?? 0) + dt);
  }
}
const pattern = values.match === undefined ? undefined : new RegExp(values.match);
const filter = pattern === undefined ? () => true : (name) => pattern.test(name);
const rows = [...times].filter(([name]) => filter(name)).sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
process.stdout.write(`${(total / 1e6).toFixed(1)} s of samples, ${values.inclusive ? 'inclusive' : 'self'} time\n`);
for (const [name, time] of rows) process.stdout.write(`${((100 * time) / total).toFixed(1).padStart(5)} %  ${name}\n`);
