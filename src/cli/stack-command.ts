import { stackDown, stackStatus, stackUp } from '../stack/index.ts';

const log = (line: string) => process.stdout.write(`${line}\n`);

export async function stackCommand(argv: string[]): Promise<number> {
  const [action] = argv;
  switch (action) {
    case 'up': {
      const started = Date.now();
      await stackUp(log);
      log(`stack up in ${((Date.now() - started) / 1000).toFixed(1)}s`);
      return 0;
    }
    case 'down':
      await stackDown(log);
      return 0;
    case 'status': {
      const status = await stackStatus();
      const line = (name: string, pid: number | undefined, answering: boolean, where: string) =>
        `${name.padEnd(6)} ${pid === undefined ? 'stopped' : answering ? `running (pid ${pid})` : `started, not answering (pid ${pid})`}  ${where}`;
      log(line('kafka', status.kafka.pid, status.kafka.answering, `${status.kafka.address} (Apache Kafka ${status.kafka.version})`));
      log(line('redis', status.redis.pid, status.redis.answering, status.redis.url));
      return status.kafka.answering && status.redis.answering ? 0 : 3;
    }
    default:
      process.stderr.write('usage: vigil stack up|down|status\n');
      return 2;
  }
}
