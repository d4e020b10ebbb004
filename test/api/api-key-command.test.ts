import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { apiKeyCommand, createApiKeyVerifier } from '../../src/api/index.ts';
import { ConfigError } from '../../src/errors.ts';

async function run(argv: string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const code = await apiKeyCommand(argv, (t) => (text += t));
  return { code, text };
}

test('api-key new prints a credential and a keys-file entry that verifies it', async () => {
  const { code, text } = await run(['new', 'switch-eu-1']);
  assert.equal(code, 0);
  const credential = /^\s+(switch-eu-1\.\S+)$/m.exec(text)?.[1];
  assert.ok(credential, text);
  const entry = text.slice(text.indexOf('keys-file entry:\n') + 'keys-file entry:\n'.length);
  assert.ok(!entry.includes(credential.split('.')[1]!), 'the entry holds the secret');
  const keys = createApiKeyVerifier(parse(entry));
  assert.equal(await keys.verify(credential), 'switch-eu-1');
});

test('api-key hash makes a scrypt entry for a chosen secret; bad ids and usage are refused', async () => {
  const { code, text } = await run(['hash', 'ops', 'a long chosen passphrase']);
  assert.equal(code, 0);
  const keys = createApiKeyVerifier(parse(text));
  assert.match(text, /hash: scrypt:/);
  assert.equal(await keys.verify('ops.a long chosen passphrase'), 'ops');
  assert.equal(await keys.verify('ops.another passphrase'), undefined);
  await assert.rejects(run(['new', 'bad id']), ConfigError);
  for (const argv of [[], ['new'], ['new', 'a', 'b'], ['hash', 'a'], ['rotate', 'a']]) assert.equal((await run(argv)).code, 2, argv.join(' '));
});
