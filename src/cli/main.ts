import { VigilError } from '../errors.ts';
import { stackCommand } from './stack-command.ts';
import { runCommand } from './run-command.ts';
import { generateCommand } from './generate-command.ts';
import { labelsCommand } from './labels-command.ts';
import { apiKeyCommand } from '../api/index.ts';
import { rulesCheckCommand } from '../rules/index.ts';
import { consoleCommand } from '../sinks/console/index.ts';
import { replayCommand } from '../replay/index.ts';
import { backtestCommand } from '../backtest/index.ts';

const USAGE = `usage: vigil <command> [options]

commands:
  stack up|down|status   start, stop or show the local Kafka broker and redis-server
  run                    run the scoring processor (configuration from environment, see docs/operations.md)
  console [hash-password]   run the analyst console alone (alerts from the alerts topic)
  generate               produce synthetic payments to the payments topic (--rate N --duration S)
  api-key new ID | hash ID SECRET   create an API key for the scoring API (VIGIL_API_KEYS_FILE)
  rules check DIR        validate a rule folder; every error with file:line:col
  replay --dataset DIR   stream a dataset (fraud-handbook, AMLSim, IBM) to the payments topic, labels after a delay
  backtest --dataset DIR --out OUTDIR   score a dataset in event time; CP@100 for the fraud-handbook
  labels import FILE     publish a watchlist of fraud / suspect / legit labels to the labels topic
`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  stack: stackCommand,
  run: runCommand,
  generate: generateCommand,
  labels: labelsCommand,
  console: consoleCommand,
  rules: rulesCheckCommand,
  replay: replayCommand,
  backtest: backtestCommand,
  'api-key': apiKeyCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name === undefined ? 1 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`vigil: unknown command "${name}"\n${USAGE}`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (error) {
    if (error instanceof VigilError) {
      process.stderr.write(`vigil ${name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
