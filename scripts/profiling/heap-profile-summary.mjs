#!/usr/bin/env node
// The functions that allocated the most in a sampling heap profile (scripts/profiling/heap-sampling.mjs), by bytes.
//
//   node scripts/profiling/heap-profile-summary.mjs PROFILE.heapprofile [--top 40]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { frameName } from './frame-name.mjs';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '40' } } });
if (positionals.length !== 1) {
  process.stderr.write('usage: heap-profile-summary.mjs PROFILE.heapprofile [--top 40]\n');
  process.exit(2);
}
const { head } = JSON.parse(readFileSync(positionals[0], 'utf8'));
const bytes = new Map();
let total = 0;
const stack = [head];
while (stack.length > 0) {
  const node = stack.pop();
  const name = frameName(node.callFrame);
  bytes.set(name, (bytes.get(name) ?? 0) + node.selfSize);
  total += node.selfSize;
  stack.push(...node.children);
}
process.stdout.write(`${(total / 2 ** 20).toFixed(0)} MB allocated (sampled)\n`);
for (const [name, size] of [...bytes].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
  process.stdout.write(`${((100 * size) / total).toFixed(1).padStart(5)} %  ${(size / 2 ** 20).toFixed(0).padStart(6)} MB  ${name}\n`);
}
