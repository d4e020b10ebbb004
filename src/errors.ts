/** Every failure Vigil reports carries one of these codes. */
export const ErrorCodes = {
  CONFIG_INVALID: 'CONFIG_INVALID',
  EVENT_UNDECODABLE: 'EVENT_UNDECODABLE',
  EVENT_INVALID: 'EVENT_INVALID',
  EVENT_TOO_LARGE: 'EVENT_TOO_LARGE',
  RULES_INVALID: 'RULES_INVALID',
  FEATURES_INVALID: 'FEATURES_INVALID',
  REDIS_UNAVAILABLE: 'REDIS_UNAVAILABLE',
  REDIS_SCRIPT_FAILED: 'REDIS_SCRIPT_FAILED',
  KAFKA_UNAVAILABLE: 'KAFKA_UNAVAILABLE',
  STACK_PREREQUISITE_MISSING: 'STACK_PREREQUISITE_MISSING',
  STACK_START_FAILED: 'STACK_START_FAILED',
  AUTH_FAILED: 'AUTH_FAILED',
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  ROUTE_NOT_FOUND: 'ROUTE_NOT_FOUND',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface VigilErrorOptions {
  cause?: unknown;
  retriable?: boolean;
}

export class VigilError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: VigilErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

export class ConfigError extends VigilError {
  constructor(readonly key: string, message: string) {
    super(ErrorCodes.CONFIG_INVALID, `${key}: ${message}`);
  }
}

/** An input event that cannot be decided; it goes to the dead-letter topic with `code` and `message`. */
export class InvalidEventError extends VigilError {
  constructor(
    code: typeof ErrorCodes.EVENT_UNDECODABLE | typeof ErrorCodes.EVENT_INVALID | typeof ErrorCodes.EVENT_TOO_LARGE,
    message: string,
    readonly field?: string,
  ) {
    super(code, message);
  }
}

export class DependencyUnavailableError extends VigilError {
  constructor(code: typeof ErrorCodes.REDIS_UNAVAILABLE | typeof ErrorCodes.KAFKA_UNAVAILABLE, message: string, cause?: unknown) {
    super(code, message, { cause, retriable: true });
  }
}

export class StackError extends VigilError {}

/** A feature spec file that cannot be used: names the file, the line (1-based, 0 when unknown) and the bad field. */
export class FeatureSpecError extends VigilError {
  constructor(readonly file: string, readonly line: number, readonly field: string, message: string) {
    super(ErrorCodes.FEATURES_INVALID, `${file}${line > 0 ? `:${line}` : ''}: ${field}: ${message}`);
  }
}

/** Programming errors are never retried, whatever their message says. */
export function isRetriable(error: unknown): boolean {
  if (error instanceof VigilError) return error.retriable;
  if (error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError || error instanceof ReferenceError) return false;
  return false;
}

/** One problem in a rule set, at a position of one of its files. */
export interface RuleProblem {
  file: string;
  line: number;
  col: number;
  message: string;
}

/** A rule set that cannot be loaded: every problem found, with file, line and column. */
export class RulesInvalidError extends VigilError {
  constructor(readonly problems: readonly RuleProblem[]) {
    super(ErrorCodes.RULES_INVALID, `rule set invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` + problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`).join('\n'));
  }
}
