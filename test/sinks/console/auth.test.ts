import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authenticate, cookieValue, hashPassword, LoginThrottle, parseCredentials, Sessions, tokenDigest, verifyPassword } from '../../../src/sinks/console/auth.ts';

test('scrypt password hashes verify the right password only, and differ per salt', async () => {
  const a = await hashPassword('correct horse');
  const b = await hashPassword('correct horse');
  assert.match(a, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.notEqual(a, b);
  assert.equal(await verifyPassword('correct horse', a), true);
  assert.equal(await verifyPassword('correct horsE', a), false);
  assert.equal(await verifyPassword('', a), false);
  assert.equal(await verifyPassword('correct horse', 'plain-text'), false);
});

test('the users file is validated with messages naming the entry', async () => {
  const password = await hashPassword('x');
  const creds = parseCredentials({ users: [{ name: 'ana', role: 'analyst', password }], tokens: [{ name: 'bot', role: 'viewer', sha256: tokenDigest('tok') }] });
  assert.equal(creds.users.get('ana')?.role, 'analyst');
  assert.equal(creds.tokens.get(tokenDigest('tok'))?.name, 'bot');
  assert.throws(() => parseCredentials({ users: [{ name: 'ana', role: 'admin', password }] }), /VIGIL_CONSOLE_USERS: .*users\[0\]\.role must be viewer or analyst/);
  assert.throws(() => parseCredentials({ users: [{ name: 'ana', role: 'viewer', password: 'secret' }] }), /users\[0\]\.password must be a scrypt hash/);
  assert.throws(() => parseCredentials({ tokens: [{ name: 'bot', role: 'viewer', sha256: 'abc' }] }), /tokens\[0\]\.sha256/);
  assert.throws(() => parseCredentials({ users: [{ name: 'a', role: 'viewer', password }, { name: 'a', role: 'viewer', password }] }), /listed twice/);
  assert.throws(() => parseCredentials([]), /must hold a mapping/);
});

test('session tokens: accepted until expiry, rejected when tampered with, signed with another secret or revoked', () => {
  let now = 1_000_000;
  const sessions = new Sessions({ secret: Buffer.from('s1'), ttlMs: 60_000, now: () => now });
  const { token } = sessions.issue({ name: 'ana', role: 'analyst' });
  assert.deepEqual(sessions.verify(token), { name: 'ana', role: 'analyst' });
  const [payload, mac] = token.split('.') as [string, string];
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), r: 'analyst', u: 'boss' })).toString('base64url');
  assert.equal(sessions.verify(`${forged}.${mac}`), undefined);
  assert.equal(new Sessions({ secret: Buffer.from('s2'), ttlMs: 60_000, now: () => now }).verify(token), undefined);
  now += 60_001;
  assert.equal(sessions.verify(token), undefined);
  now -= 60_001;
  sessions.revoke(token);
  assert.equal(sessions.verify(token), undefined);
  assert.equal(sessions.verify('garbage'), undefined);
});

test('authenticate takes the session cookie, a bearer session or a configured API token', () => {
  const sessions = new Sessions({ secret: Buffer.from('k'), ttlMs: 60_000 });
  const creds = parseCredentials({ tokens: [{ name: 'bot', role: 'viewer', sha256: tokenDigest('api-token-1') }] });
  const { token } = sessions.issue({ name: 'ana', role: 'analyst' });
  assert.deepEqual(authenticate(creds, sessions, `a=b; vigil_session=${token}`, ''), { name: 'ana', role: 'analyst' });
  assert.deepEqual(authenticate(creds, sessions, '', `Bearer ${token}`), { name: 'ana', role: 'analyst' });
  assert.deepEqual(authenticate(creds, sessions, '', 'Bearer api-token-1'), { name: 'bot', role: 'viewer' });
  assert.equal(authenticate(creds, sessions, '', 'Bearer api-token-2'), undefined);
  assert.equal(authenticate(creds, sessions, 'vigil_session=x.y', 'Basic YTpi'), undefined);
  assert.equal(cookieValue('x=1; vigil_session=abc; y=2', 'vigil_session'), 'abc');
});

test('login throttle locks a name after 5 failures in the window and unlocks after it', () => {
  let now = 0;
  const throttle = new LoginThrottle(5, 60_000, () => now);
  for (let i = 0; i < 4; i++) throttle.fail('ana');
  assert.equal(throttle.locked('ana'), false);
  throttle.fail('ana');
  assert.equal(throttle.locked('ana'), true);
  assert.equal(throttle.locked('vic'), false);
  now += 60_001;
  assert.equal(throttle.locked('ana'), false);
});
