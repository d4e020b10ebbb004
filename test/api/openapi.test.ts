import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decode, encode } from '@msgpack/msgpack';
import { Redis } from 'ioredis';
import { parse } from 'yaml';
import { API_ROUTES } from '../../src/api/index.ts';
import { EVENT_TYPES, OPTIONAL_STRING_FIELDS } from '../../src/ingest/index.ts';
import { payment, redisCountingStage, REDIS_URL, startTestApi, uniqueName, unreachableKafkaProducer, type Reply, type TestApi } from './helpers.ts';
import { validate } from './json-schema.ts';

type Node = Record<string, any>;
const doc = parse(readFileSync(new URL('../../docs/openapi.yaml', import.meta.url), 'utf8')) as Node;

function resolve(node: Node): Node {
  if (typeof node.$ref !== 'string') return node;
  return resolve(node.$ref.replace(/^#\//, '').split('/').reduce((n: Node, part: string) => n[part], doc));
}

/** Checks a real answer against the document: status listed, body valid for its content type, headers documented. */
function conforms(path: string, reply: Reply): void {
  const label = `${path} ${reply.status}`;
  const documented = doc.paths[path]?.post?.responses?.[String(reply.status)];
  assert.ok(documented, `${label}: status not documented`);
  const response = resolve(documented);
  const contentType = String(reply.headers['content-type']).split(';')[0]!;
  const media = response.content?.[contentType];
  assert.ok(media, `${label}: content type ${contentType} not documented`);
  const body = contentType === 'application/msgpack' ? decode(reply.body) : reply.json();
  assert.deepEqual(validate(doc, media.schema, body), [], `${label}: body does not match the document: ${reply.body.toString().slice(0, 300)}`);
  const headers = Object.fromEntries(Object.entries(response.headers ?? {}).map(([k, v]) => [k.toLowerCase(), resolve(v as Node)]));
  for (const name of Object.keys(reply.headers)) if (name.startsWith('vigil-')) assert.ok(headers[name], `${label}: header ${name} not documented`);
  for (const [name, header] of Object.entries(headers)) {
    if (name.startsWith('vigil-')) continue;
    const value = reply.headers[name];
    assert.ok(value !== undefined, `${label}: documented header ${name} missing`);
    assert.deepEqual(validate(doc, header.schema, header.schema.type === 'integer' ? Number(value) : value), [], `${label}: header ${name}`);
  }
}

test('the document lists exactly the routes, methods and statuses the server has', () => {
  const documented = Object.entries(doc.paths as Node).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));
  assert.deepEqual(documented.sort(), Object.values(API_ROUTES).map((r) => `${r.method} ${r.path}`).sort());
  for (const route of Object.values(API_ROUTES)) {
    const statuses = Object.keys(doc.paths[route.path][route.method].responses).map(Number);
    assert.deepEqual(statuses.sort(), [...route.statuses].sort(), `${route.path}: documented statuses differ from the server's`);
  }
});

test('the documented event is the event contract', () => {
  const event = doc.components.schemas.PaymentEvent as Node;
  assert.deepEqual(event.required, ['id', 'ts', 'type', 'amount', 'currency', 'account']);
  assert.deepEqual(Object.keys(event.properties).sort(), [...event.required, ...OPTIONAL_STRING_FIELDS].sort());
  assert.deepEqual(event.properties.type.enum, [...EVENT_TYPES]);
});

test('real answers for every status the test can cause match the document, and its examples are accepted', async (t) => {
  const vigil = await startTestApi({ env: { VIGIL_API_MAX_BATCH_EVENTS: '3' } });
  t.after(() => vigil.cleanup());
  const kafkaDown = await startTestApi({ producer: unreachableKafkaProducer(), env: { VIGIL_API_DEADLINE_MS: '10000' } });
  t.after(() => kafkaDown.cleanup());
  const redis = new Redis(REDIS_URL);
  const prefix = uniqueName('api-doc');
  t.after(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });
  const slow = await startTestApi({ features: redisCountingStage(redis, prefix, { slowMs: 300 }), env: { VIGIL_API_DEADLINE_MS: '30' } });
  t.after(() => slow.cleanup());

  // one event sent twice: built once, so both copies carry the same ts (two Date.now() calls can straddle a millisecond)
  const doc1 = payment('doc-1', { amount: 9_000_000, currency: 'XXX' });
  const json = (api: TestApi) => ({ 'content-type': 'application/json', authorization: `Bearer ${api.credential}` });
  const cases: { api: TestApi; path: string; status: number; body: string | Buffer; headers?: Record<string, string>; method?: string }[] = [
    { api: vigil, path: '/v1/score', status: 200, body: JSON.stringify(doc1) },
    { api: vigil, path: '/v1/score', status: 200, body: JSON.stringify(doc1) },
    { api: vigil, path: '/v1/score', status: 200, body: Buffer.from(encode(payment('doc-2'))), headers: { 'content-type': 'application/msgpack' } },
    { api: vigil, path: '/v1/score', status: 400, body: JSON.stringify(payment('doc-3', { amount: 1.5 })) },
    { api: vigil, path: '/v1/score', status: 401, body: JSON.stringify(payment('doc-4')), headers: { authorization: 'Bearer nobody.nothing' } },
    { api: vigil, path: '/v1/score', status: 405, body: '', method: 'PUT' },
    { api: vigil, path: '/v1/score', status: 409, body: JSON.stringify(payment('doc-1', { amount: 1 })) },
    { api: vigil, path: '/v1/score', status: 413, body: JSON.stringify(payment('doc-5', { ip: 'x'.repeat(100_000) })) },
    { api: vigil, path: '/v1/score', status: 415, body: 'id=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    { api: kafkaDown, path: '/v1/score', status: 503, body: JSON.stringify(payment('doc-6')) },
    { api: slow, path: '/v1/score', status: 200, body: JSON.stringify(payment('doc-7')) },
    { api: vigil, path: '/v1/score/batch', status: 200, body: JSON.stringify({ events: [payment('doc-8'), payment('doc-9', { type: 'x' }), payment('doc-1', { amount: 2 })] }) },
    { api: vigil, path: '/v1/score/batch', status: 200, body: Buffer.from(encode({ events: [payment('doc-10')] })), headers: { 'content-type': 'application/msgpack' } },
    { api: vigil, path: '/v1/score/batch', status: 400, body: '{"events": 3}' },
    { api: vigil, path: '/v1/score/batch', status: 401, body: '{"events": []}', headers: { authorization: '' } },
    { api: vigil, path: '/v1/score/batch', status: 405, body: '', method: 'GET' },
    { api: vigil, path: '/v1/score/batch', status: 413, body: JSON.stringify({ events: [1, 2, 3, 4] }) },
    { api: vigil, path: '/v1/score/batch', status: 415, body: '{}', headers: { 'content-type': 'text/plain' } },
    { api: kafkaDown, path: '/v1/score/batch', status: 503, body: JSON.stringify({ events: [payment('doc-11')] }) },
    { api: slow, path: '/v1/score/batch', status: 200, body: JSON.stringify({ events: [payment('doc-12')] }) },
  ];
  const seen = new Map<string, Set<number>>();
  for (const c of cases) {
    const reply = await c.api.http.send(c.method ?? 'POST', c.path, { ...json(c.api), ...c.headers }, c.body);
    assert.equal(reply.status, c.status, `${c.path} ${String(c.body).slice(0, 80)}: ${reply.body.toString().slice(0, 200)}`);
    conforms(c.path, reply);
    seen.set(c.path, (seen.get(c.path) ?? new Set()).add(reply.status));
  }
  // Every documented status but 500 (a bug) was caused and checked above.
  for (const route of Object.values(API_ROUTES)) assert.deepEqual([...seen.get(route.path)!].sort(), route.statuses.filter((s) => s !== 500).sort());

  for (const [path, item] of Object.entries(doc.paths as Node)) {
    for (const [name, example] of Object.entries(item.post.requestBody.content['application/json'].examples as Node)) {
      const reply = await vigil.http.send('POST', path, json(vigil), JSON.stringify(example.value));
      assert.equal(reply.status, 200, `example ${name}: ${reply.body.toString().slice(0, 300)}`);
      conforms(path, reply);
    }
  }
});
