/**
 * The subset of JSON Schema that docs/openapi.yaml uses (type, required, properties,
 * additionalProperties, items, enum, const, oneOf, $ref, minimum/maximum, minLength/maxLength,
 * pattern), to check real answers against the document. Unknown keywords fail loudly, so the
 * document cannot silently use something this checker ignores.
 */
type Schema = Record<string, unknown>;

const KNOWN = new Set(['type', 'required', 'properties', 'additionalProperties', 'items', 'enum', 'const', 'oneOf', '$ref', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'description', 'format']);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

export function validate(root: Schema, schema: Schema, value: unknown, path = '$'): string[] {
  for (const key of Object.keys(schema)) if (!KNOWN.has(key)) return [`${path}: schema keyword "${key}" is not supported by the checker`];
  if (typeof schema.$ref === 'string') {
    const target = schema.$ref.replace(/^#\//, '').split('/').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], root);
    if (target === undefined) return [`${path}: unresolved ${schema.$ref}`];
    return validate(root, target as Schema, value, path);
  }
  if (Array.isArray(schema.oneOf)) {
    const matching = (schema.oneOf as Schema[]).filter((s) => validate(root, s, value, path).length === 0).length;
    if (matching !== 1) {
      const details = (schema.oneOf as Schema[]).map((s, i) => `#${i}: ${validate(root, s, value, path).join('; ') || 'ok'}`);
      return [`${path}: matches ${matching} of oneOf (${details.join(' | ')})`];
    }
    return [];
  }
  const errors: string[] = [];
  const actual = typeOf(value);
  if (typeof schema.type === 'string') {
    const ok = schema.type === actual || (schema.type === 'number' && actual === 'integer');
    if (!ok) return [`${path}: expected ${schema.type}, got ${actual}`];
  }
  if ('const' in schema && value !== schema.const) errors.push(`${path}: expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${path}: ${value} < ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${path}: ${value} > ${schema.maximum}`);
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) errors.push(`${path}: shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) errors.push(`${path}: longer than ${schema.maxLength}`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value)) errors.push(`${path}: does not match ${schema.pattern}`);
  }
  if (actual === 'array' && schema.items !== undefined) {
    (value as unknown[]).forEach((item, i) => errors.push(...validate(root, schema.items as Schema, item, `${path}[${i}]`)));
  }
  if (actual === 'object') {
    const record = value as Record<string, unknown>;
    for (const name of (schema.required as string[] | undefined) ?? []) if (!(name in record)) errors.push(`${path}: missing ${name}`);
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const [name, v] of Object.entries(record)) {
      if (properties[name] !== undefined) errors.push(...validate(root, properties[name], v, `${path}.${name}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected property ${name}`);
      else if (typeof schema.additionalProperties === 'object') errors.push(...validate(root, schema.additionalProperties as Schema, v, `${path}.${name}`));
    }
  }
  return errors;
}
