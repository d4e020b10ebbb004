import { stringify } from 'yaml';
import { assertKeyId, generateApiKey, hashApiSecretScrypt } from './api-keys.ts';

const USAGE = `usage: vigil api-key new <id>            a random key: its credential (for the caller) and its keys-file entry
       vigil api-key hash <id> <secret>    a keys-file entry (scrypt) for a secret a person chose
`;

/**
 * `vigil api-key`: entries for VIGIL_API_KEYS_FILE. `new` prints the credential, to hand to the caller
 * once (it is stored nowhere), then the entry holding only its hash. Output goes through `out`.
 */
export async function apiKeyCommand(argv: string[], out: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const [action, id, secret, ...rest] = argv;
  if (rest.length === 0 && action === 'new' && id !== undefined && secret === undefined) {
    const key = generateApiKey(id);
    out(`credential (send as "Authorization: Bearer <credential>"; shown once, stored nowhere):\n  ${key.credential}\n\nkeys-file entry:\n${stringify({ keys: [key.entry] })}`);
    return 0;
  }
  if (rest.length === 0 && action === 'hash' && id !== undefined && secret !== undefined) {
    assertKeyId(id);
    out(stringify({ keys: [{ id, hash: await hashApiSecretScrypt(secret) }] }));
    return 0;
  }
  out(USAGE);
  return 2;
}
