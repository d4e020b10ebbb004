import type { Kafka } from 'kafkajs';
import type { Config } from '../config/index.ts';
import type { Metrics } from '../admin/index.ts';
import type { Logger } from '../log.ts';
import { createKafkaReplicationLog } from '../graph/index.ts';
import { LiveLists, LiveListsFollower } from '../rules/index.ts';

/** How often start() says it is still reading the lists topic. */
const PROGRESS_EVERY_MS = 10_000;

export interface LiveListsSource {
  readonly lists: LiveLists;
  /** Starts following the lists topic; resolves once every change published before the start is applied. */
  start(): Promise<void>;
  notReadyReason(): string | undefined;
  close(): Promise<void>;
}

/**
 * The analysts' live allow / block lists for `vigil run`: the lists topic read from the beginning by a consumer
 * group of this process start's own (`<group>.lists.<replica id>.<topic>`), so every instance applies every change
 * and a restart rebuilds the lists. start() waits until the topic is read up to its end offsets, and the processor
 * starts consuming payments only after it: no payment is scored without the lists known at start.
 */
export function liveListsSource(config: Config, kafka: Kafka, log: Logger, metrics: Metrics | undefined, instance: string): LiveListsSource {
  const listsLog = log.child('lists');
  const lists = new LiveLists();
  const feed = metrics?.feeds.lists;
  feed?.watch(() => lists.sizes());
  const follower: LiveListsFollower = new LiveListsFollower({
    log: createKafkaReplicationLog({ kafka, groupId: `${config.groupId}.lists.${instance}`, sessionTimeoutMs: config.sessionTimeoutMs, fetchMaxBytes: 4 * 1024 * 1024 }),
    topic: config.topicLists,
    lists,
    onApplied(change, where) {
      feed?.applied();
      // The rebuild at start replays the whole history: one line per change only once live.
      if (follower.isCaughtUp()) listsLog.info('list change applied', { list: change.list, entity: change.entity, op: change.op, by: change.by, at: change.at, where });
    },
    onRejected(where, reason) {
      feed?.rejected();
      listsLog.warn('list change rejected', { where, reason });
    },
  });
  let started = false;
  return {
    lists,
    async start() {
      await follower.start();
      started = true;
      while (!follower.isCaughtUp()) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([follower.caughtUp, new Promise((resolve) => (timer = setTimeout(resolve, PROGRESS_EVERY_MS)))]);
        clearTimeout(timer);
        if (!follower.isCaughtUp()) listsLog.warn('still reading the lists topic before scoring', { topic: config.topicLists, partitionsBehind: follower.partitionsBehind() });
      }
      listsLog.info('live lists caught up', { topic: config.topicLists, ...lists.sizes(), ...follower.stats() });
    },
    notReadyReason: () => (started && follower.isCaughtUp() ? undefined : 'live lists catching up'),
    close: () => follower.close(),
  };
}
