import { hashPassword } from './auth.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `vigil console hash-password`: reads a password from standard input (first line) and prints the
 * scrypt hash to put in the users file. Never takes the password as an argument (it would sit in
 * the shell history and the process list).
 */
export async function hashPasswordCommand(_argv: string[]): Promise<number> {
  const password = (await readStdin()).split(/\r?\n/, 1)[0] ?? '';
  if (password === '') {
    process.stderr.write('usage: echo "$PASSWORD" | vigil console hash-password\n');
    return 2;
  }
  process.stdout.write(`${await hashPassword(password)}\n`);
  return 0;
}
