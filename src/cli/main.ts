import { VigilError } from '../errors.ts';
import { stackCommand } from './stack-command.ts';
import { runCommand } from './run-command.ts';
import { generateCommand } from './generate-command.ts';
import { labelsCommand } from './labels-command.ts';

const USAGE = `usage: vigil <command> [options]

commands:
  stack up|down|status   start, stop or show the local Kafka broker and redis-server
  run                    run the scoring processor (configuration from environment, see docs/operations.md)
  generate               produce synthetic payments to the payments topic (--rate N --duration S)
  labels import FILE     publish a watchlist of fraud / suspect / legit labels to the labels topic
`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  stack: stackCommand,
  run: runCommand,
  generate: generateCommand,
  labels: labelsCommand,
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
