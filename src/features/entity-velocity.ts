import type { PaymentEvent } from '../ingest/event.ts';
import { DistinctCounts } from './distinct-counts.ts';
import { bucketField, distinctField, type Bucket, type EntityState, type FieldWrites, type RunningWindow } from './entity-state.ts';
import type { EntityPlan, WindowPlan } from './plan.ts';

/** How an event was counted for one entity (docs/features.md, Semantics). */
export const Status = { IN_ORDER: 0, LATE: 1, CLAMPED: 2, STALE: 3, DUPLICATE: 4 } as const;
export type Status = (typeof Status)[keyof typeof Status];

export interface EntityReply {
  readonly status: Status;
  /** wm - ts when ts < wm, else 0. */
  readonly lateMs: number;
  /** By plan output: count, amount sum or distinct count of its window at the event's effective time. */
  readonly outputs: readonly number[];
}

export interface CountedEntity {
  readonly replies: EntityReply[];
  readonly writes: FieldWrites;
  /** The stored keys need their idle TTL (re)set: the entity is new, or its event time moved on by a quarter of the TTL. */
  readonly expire: boolean;
  /** Id buckets to give the idle TTL: all of them when `expire`, else those created by this batch. */
  readonly expireIdBuckets: number[];
}

/**
 * Ids stay in this process's cache while they are no older than the watermark minus this. An older event is looked up
 * in Redis by the same script call (an HMGET; another round trip only when it is there: a redelivery). Holding ids for
 * the lateness too (5 min) held ~2 million of them at 1,000 events/s, and the heap ran out in a 10-minute run.
 */
export const ID_CACHE_MS = 10_000;

/**
 * Counts the events of one entity into its state, in order, exactly once per id, and returns each event's reply and
 * the hash fields to write. Pure: the same state and events always give the same replies and writes.
 */
export function countEntityEvents(plan: EntityPlan, state: EntityState, events: readonly PaymentEvent[], indexes: readonly number[]): CountedEntity {
  const L = plan.latenessMs;
  const R = plan.retentionMs;
  const IB = plan.idBucketMs;
  const writes: FieldWrites = { sets: [], deletes: [], ids: [], idBucketDeletes: [], checks: undefined };
  // the id group being appended to: events of one call mostly share an id bucket, so most calls write one group
  let groupIdx = NaN;
  let groupCountAt = -1;
  let groupSize = 0;
  const changes: Changes = { call: ++countingCalls, events: 0, buckets: [], distinct: [] };
  const replies: EntityReply[] = [];
  const newIdBuckets: number[] = [];
  const wm0 = state.wm;
  for (const index of indexes) {
    const event = events[index] as PaymentEvent;
    const first = state.ids.get(event.id);
    if (first !== undefined && (state.wm === undefined || first.t >= state.wm - L - R)) {
      replies.push({ status: Status.DUPLICATE, lateMs: 0, outputs: first.outputs });
      continue;
    }
    // counted here as new; if Redis has it, the write is refused with its first counting and the batch recounted
    if (first === undefined && event.ts < state.vouchedFrom) {
      const lowest = Math.floor(event.ts / IB);
      for (const idx of state.idBuckets) {
        if (idx < lowest) continue;
        writes.checks ??= new Map();
        let ids = writes.checks.get(idx);
        if (ids === undefined) writes.checks.set(idx, (ids = []));
        ids.push(event.id);
      }
    }
    const wm = state.wm;
    let status: Status = Status.IN_ORDER;
    let t = event.ts;
    let lateMs = 0;
    if (wm !== undefined && event.ts < wm) {
      lateMs = wm - event.ts;
      status = Status.LATE;
      if (event.ts < wm - L) {
        t = wm - L;
        status = event.ts < t - R ? Status.STALE : Status.CLAMPED;
      }
    }
    if (status !== Status.STALE) {
      countEvent(plan, state, t, event, changes);
      changes.events++;
      if (wm === undefined || t > wm) state.wm = t;
    }
    const outputs = outputsAt(plan, state, t);
    if (status !== Status.STALE) {
      state.remember(event.id, t, outputs);
      const idx = Math.floor(t / IB);
      if (idx !== groupIdx) {
        if (groupSize > 0) writes.ids[groupCountAt] = String(groupSize);
        groupIdx = idx;
        groupCountAt = writes.ids.length + 1;
        groupSize = 0;
        writes.ids.push(String(idx), '');
      }
      groupSize++;
      writes.ids.push(event.id, `${t},${outputs.join(',')}`);
      if (!state.idBuckets.has(idx)) {
        state.idBuckets.add(idx);
        newIdBuckets.push(idx);
      }
    }
    replies.push({ status, lateMs, outputs });
  }
  if (groupSize > 0) writes.ids[groupCountAt] = String(groupSize);
  writeChanges(changes, writes.sets);
  const wm = state.wm;
  if (wm === undefined) return { replies, writes, expire: false, expireIdBuckets: newIdBuckets };
  if (wm !== wm0) writes.sets.push('w', String(wm));
  if (state.nextTrim !== undefined && state.nextTrim <= wm) trimBuckets(plan, state, wm, writes);
  // an id bucket goes once every id in it is older than the retention
  let idBucketsChanged = newIdBuckets.length > 0;
  for (const idx of state.idBuckets) {
    if ((idx + 1) * IB > wm - L - R) continue;
    state.idBuckets.delete(idx);
    writes.idBucketDeletes.push(idx);
    idBucketsChanged = true;
  }
  if (idBucketsChanged) writes.sets.push('ib', [...state.idBuckets].join(','));
  const cacheCut = wm - Math.min(L + R, ID_CACHE_MS);
  if (state.oldestId !== undefined && state.oldestId < cacheCut) trimIds(plan, state, cacheCut);
  // set when the entity is new, then refreshed each time its event time moves on by a quarter of the TTL, so an
  // active entity never expires and an idle one does
  const expire = state.version === '' || state.refreshed === undefined || wm - state.refreshed >= plan.idleTtlMs / 4;
  if (expire) {
    state.refreshed = wm;
    writes.sets.push('x', String(wm));
  }
  return { replies, writes, expire, expireIdBuckets: expire ? [...state.idBuckets] : newIdBuckets };
}

/** Numbers each counting call, so that a bucket knows whether the call has changed it already. */
let countingCalls = 0;

/**
 * What one counting call changed, written once when it ends: an entity with many events in a batch (a busy terminal,
 * a card-testing burst) would otherwise write the same bucket fields once per event.
 */
interface Changes {
  readonly call: number;
  /** Events counted by the call. */
  events: number;
  /** Buckets whose count and sum changed, each once. */
  readonly buckets: Bucket[];
  /** bucket, field, value, occurrences after the change: one quadruple per counted occurrence. */
  readonly distinct: (Bucket | string | number)[];
}

function writeChanges(changes: Changes, sets: string[]): void {
  for (const bucket of changes.buckets) sets.push(bucketField(bucket), `${bucket.c}:${bucket.s}`);
  const distinct = changes.distinct;
  // newest first: a value's last occurrence holds its final count. One event counts each (bucket, field) once, so
  // only a call of several events can repeat one
  const written = changes.events > 1 && distinct.length > 4 ? new Set<string>() : undefined;
  for (let i = distinct.length - 4; i >= 0; i -= 4) {
    const name = distinctField(distinct[i] as Bucket, distinct[i + 1] as string, distinct[i + 2] as string);
    if (written !== undefined) {
      if (written.has(name)) continue;
      written.add(name);
    }
    sets.push(name, String(distinct[i + 3]));
  }
}

function countEvent(plan: EntityPlan, state: EntityState, t: number, event: PaymentEvent, changes: Changes): void {
  const windows = plan.windows;
  for (let w = 0; w < windows.length; w++) {
    const win = windows[w] as WindowPlan;
    const idx = Math.floor(t / win.bucketMs);
    const running = state.windows[w];
    if (running === undefined) {
      const head = state.wm === undefined ? idx : Math.max(idx, Math.floor(state.wm / win.bucketMs));
      state.windows[w] = buildWindow(state, win, head);
    } else if (idx > running.head) advance(state, win, running, idx);
  }
  for (const size of plan.bucketSizes) {
    const bs = size.bucketMs;
    const idx = Math.floor(t / bs);
    const bucket = state.bucketOrNew(bs, idx);
    if (size.counts) {
      bucket.c += 1;
      bucket.s += event.amount;
      if (bucket.counted !== changes.call) {
        bucket.counted = changes.call;
        changes.buckets.push(bucket);
      }
    }
    for (const field of size.distinct) {
      const value = event[field];
      if (value === undefined || value === '') continue;
      let occurrences = 1;
      if (bucket.d === undefined) bucket.d = new DistinctCounts(field, value, 1);
      else occurrences = bucket.d.add(field, value, 1);
      changes.distinct.push(bucket, field, value, occurrences);
    }
    const expiry = (idx + size.keep) * bs + plan.latenessMs;
    if (state.nextTrim === undefined || expiry < state.nextTrim) state.nextTrim = expiry;
  }
  for (let w = 0; w < windows.length; w++) {
    const win = windows[w] as WindowPlan;
    const running = state.windows[w] as RunningWindow;
    if (Math.floor(t / win.bucketMs) <= running.head - win.buckets) continue;
    if (win.counts) {
      running.c += 1;
      running.s += event.amount;
    }
    for (let k = 0; k < win.distinct.length; k++) {
      const value = event[win.distinct[k] as keyof PaymentEvent] as string | undefined;
      if (value === undefined || value === '') continue;
      const values = running.distinct[k] as Map<string, number>;
      values.set(value, (values.get(value) ?? 0) + 1);
    }
  }
}

function addBucket(running: RunningWindow, win: WindowPlan, bucket: Bucket | undefined, sign: 1 | -1): void {
  if (bucket === undefined) return;
  if (win.counts) {
    running.c += sign * bucket.c;
    running.s += sign * bucket.s;
  }
  if (bucket.d === undefined) return;
  for (let k = 0; k < win.distinct.length; k++) bucket.d.addTo(win.distinct[k] as (typeof win.distinct)[number], running.distinct[k] as Map<string, number>, sign);
}

function buildWindow(state: EntityState, win: WindowPlan, head: number): RunningWindow {
  const running: RunningWindow = { head, c: 0, s: 0, distinct: win.distinct.map(() => new Map<string, number>()) };
  for (let b = head - win.buckets + 1; b <= head; b++) addBucket(running, win, state.bucket(win.bucketMs, b), 1);
  return running;
}

/** Moves a window's head forward to idx: the buckets that leave it are subtracted. */
function advance(state: EntityState, win: WindowPlan, running: RunningWindow, idx: number): void {
  if (idx - win.buckets >= running.head) {
    running.c = 0;
    running.s = 0;
    for (const values of running.distinct) values.clear();
  } else {
    for (let b = running.head - win.buckets + 1; b <= idx - win.buckets; b++) addBucket(running, win, state.bucket(win.bucketMs, b), -1);
  }
  running.head = idx;
}

/** Every output at effective time t: from the running window when t is in its newest bucket, else from the buckets. */
function outputsAt(plan: EntityPlan, state: EntityState, t: number): number[] {
  const outputs = new Array<number>(plan.outputs.length);
  for (let o = 0; o < plan.outputs.length; o++) {
    const output = plan.outputs[o] as EntityPlan['outputs'][number];
    const win = plan.windows[output.window] as WindowPlan;
    const idx = Math.floor(t / win.bucketMs);
    const running = state.windows[output.window];
    if (running !== undefined && running.head === idx) {
      if (output.kind === 'c') outputs[o] = running.c;
      else if (output.kind === 's') outputs[o] = running.s;
      else outputs[o] = (running.distinct[win.distinct.indexOf(output.field as (typeof win.distinct)[number])] as Map<string, number>).size;
    } else if (output.kind === 'd') {
      const seen = new Set<string>();
      for (let b = idx - win.buckets + 1; b <= idx; b++) {
        state.bucket(win.bucketMs, b)?.d?.collect(output.field as (typeof win.distinct)[number], seen);
      }
      outputs[o] = seen.size;
    } else {
      let total = 0;
      for (let b = idx - win.buckets + 1; b <= idx; b++) {
        const bucket = state.bucket(win.bucketMs, b);
        if (bucket !== undefined) total += output.kind === 'c' ? bucket.c : bucket.s;
      }
      outputs[o] = total;
    }
  }
  return outputs;
}

/**
 * Drops every bucket no read can reach at watermark wm (reads are at wm - lateness or later), and sizes no window uses.
 * Buckets are kept in creation order, and a bucket created later is at most `lateness` (plus one bucket) older than
 * an earlier one (it is at least the watermark then, minus the lateness): the scan stops once a bucket expires that
 * much after wm, and the next trim time is known to within that slack.
 */
function trimBuckets(plan: EntityPlan, state: EntityState, wm: number, writes: FieldWrites): void {
  let soonest: number | undefined;
  for (const [bs, buckets] of state.buckets) {
    const size = plan.bucketSizes.find((candidate) => candidate.bucketMs === bs);
    const slack = (Math.ceil(plan.latenessMs / bs) + 1) * bs;
    for (const [idx, bucket] of buckets) {
      const expiry = size === undefined ? -Infinity : (idx + size.keep) * bs + plan.latenessMs;
      if (expiry <= wm) {
        if (bucket.c > 0) writes.deletes.push(bucketField(bucket));
        if (bucket.d !== undefined) {
          bucket.d.forEach((field, value) => writes.deletes.push(distinctField(bucket, field, value)));
        }
        buckets.delete(idx);
        continue;
      }
      const bound = expiry > wm + slack ? expiry - slack : expiry;
      if (soonest === undefined || bound < soonest) soonest = bound;
      if (expiry > wm + slack) break;
    }
    if (buckets.size === 0) state.buckets.delete(bs);
  }
  state.nextTrim = soonest;
}

/**
 * Drops ids counted before `cut` from the cache (Redis keeps them until their id bucket ages out): an event older
 * than the cut is then looked up in Redis. Ids are kept in counting order, and an id counted later has an effective
 * time at most `lateness` below an earlier one's (it is at least the watermark then, minus the lateness), so the scan
 * stops at the first id `lateness` past the cut; the oldest time is then known to within the lateness.
 */
function trimIds(plan: EntityPlan, state: EntityState, cut: number): void {
  let first: number | undefined;
  for (const [id, counted] of state.ids) {
    if (counted.t < cut) state.ids.delete(id);
    else {
      first ??= counted.t;
      if (counted.t >= cut + plan.latenessMs) break;
    }
  }
  state.oldestId = first === undefined ? undefined : first - plan.latenessMs;
  // a dropped id had ts <= its effective time < cut: an event at or after the cut that is not here is new
  if (cut > state.vouchedFrom) state.vouchedFrom = cut;
}
