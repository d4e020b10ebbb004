// A --import preload that samples where a process allocates, collected objects included (a heap snapshot shows only
// what survives), and writes the profile when the process exits, also through process.exit().
//
//   HEAP_PROFILE=/tmp/e2e.heapprofile node --import ./scripts/profiling/heap-sampling.mjs bench/...   (or a bundle)
//   node scripts/profiling/heap-profile-summary.mjs /tmp/e2e.heapprofile
// Open the .heapprofile in Chrome DevTools (Memory tab) for the call trees.
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';

const out = process.env.HEAP_PROFILE ?? `heap-${process.pid}.heapprofile`;
const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
await session.post('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });

let written = false;
async function writeProfile() {
  if (written) return;
  written = true;
  const { profile } = await session.post('HeapProfiler.stopSampling');
  writeFileSync(out, JSON.stringify(profile));
  process.stderr.write(`heap sampling profile written to ${out}\n`);
}
process.once('beforeExit', () => void writeProfile());
const exit = process.exit.bind(process);
process.exit = (code) => {
  void writeProfile().then(() => exit(code));
};
