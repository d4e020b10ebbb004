import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createApiKeyVerifier, credentialOf, generateApiKey, hashApiSecretScrypt, hashApiSecretSha256, loadApiKeys } from '../../src/api/index.ts';
import { ConfigError } from '../../src/errors.ts';

const FAST_SCRYPT = { N: 1024, r: 8, p: 1 };

test('generated keys verify; a changed secret, an unknown id or a malformed credential do not', async () => {
  const a = generateApiKey('caller-a');
  const b = generateApiKey('caller-b');
  assert.match(a.credential, /^caller-a\.[A-Za-z0-9_-]{43}$/);
  assert.ok(!JSON.stringify(a.entry).includes(a.credential.split('.')[1]!), 'the keys file entry holds the secret in clear');
  const keys = createApiKeyVerifier({ keys: [a.entry, b.entry] });
  assert.equal(await keys.verify(a.credential), 'caller-a');
  assert.equal(await keys.verify(b.credential), 'caller-b');
  const secretA = a.credential.split('.')[1]!;
  const secretB = b.credential.split('.')[1]!;
  for (const bad of [`caller-a.${secretB}`, `caller-b.${secretA}`, `caller-c.${secretA}`, secretA, 'caller-a.', '.x', '', `caller-a.${secretA}x`]) {
    assert.equal(await keys.verify(bad), undefined, bad);
  }
});

test('scrypt hashes verify (once with scrypt, then by digest) and reject wrong secrets before and after', async () => {
  const hash = await hashApiSecretScrypt('correct horse battery staple', FAST_SCRYPT);
  assert.match(hash, /^scrypt:1024:8:1:/);
  const keys = createApiKeyVerifier({ keys: [{ id: 'ops', hash }] });
  assert.equal(await keys.verify('ops.wrong horse'), undefined);
  assert.equal(await keys.verify('ops.correct horse battery staple'), 'ops');
  assert.equal(await keys.verify('ops.correct horse battery staple'), 'ops');
  assert.equal(await keys.verify('ops.wrong horse'), undefined);
});

test('keys files: YAML and JSON load; disabled keys are refused; bad entries name the key and the entry', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-keys-'));
  try {
    const a = generateApiKey('a');
    const b = generateApiKey('b');
    const yamlPath = join(dir, 'keys.yaml');
    writeFileSync(yamlPath, stringify({ keys: [a.entry, { ...b.entry, disabled: true }] }));
    const fromYaml = loadApiKeys(yamlPath);
    assert.equal(fromYaml.size, 1);
    assert.equal(await fromYaml.verify(a.credential), 'a');
    assert.equal(await fromYaml.verify(b.credential), undefined);
    const jsonPath = join(dir, 'keys.json');
    writeFileSync(jsonPath, JSON.stringify({ keys: [b.entry] }));
    assert.equal(await loadApiKeys(jsonPath).verify(b.credential), 'b');

    const bad: [unknown, RegExp][] = [
      [{}, /keys: \[/],
      [{ keys: [{ id: 'has space', hash: hashApiSecretSha256('x') }] }, /keys\[0\]: id/],
      [{ keys: [{ id: 'x', hash: 'md5:abc' }] }, /keys\[0\]: hash/],
      [{ keys: [{ id: 'x', hash: 'sha256:zz' }] }, /keys\[0\]: hash/],
      [{ keys: [a.entry, a.entry] }, /keys\[1\]: duplicate id/],
    ];
    for (const [document, message] of bad) {
      assert.throws(() => createApiKeyVerifier(document), (e: unknown) => e instanceof ConfigError && e.key === 'VIGIL_API_KEYS_FILE' && message.test(e.message), JSON.stringify(document));
    }
    assert.throws(() => loadApiKeys(join(dir, 'missing.yaml')), /VIGIL_API_KEYS_FILE: cannot read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the credential comes from X-Api-Key, else from a Bearer authorization', () => {
  assert.equal(credentialOf('', 'id.secret'), 'id.secret');
  assert.equal(credentialOf('Bearer id.s', 'id.k'), 'id.k');
  assert.equal(credentialOf('Bearer id.s', ''), 'id.s');
  assert.equal(credentialOf('bearer  id.s ', ''), 'id.s');
  assert.equal(credentialOf('Basic abc', ''), undefined);
  assert.equal(credentialOf('', ''), undefined);
});
