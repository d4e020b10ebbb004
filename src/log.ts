/** Structured JSON logs, one child per component; levels below the threshold cost one comparison. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVELS: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50, silent: 100 };

export interface Logger {
  readonly level: LogLevel;
  isEnabled(level: Exclude<LogLevel, 'silent'>): boolean;
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const out: Record<string, unknown> = { type: error.name, message: error.message };
  if ('code' in error) out.code = (error as { code: unknown }).code;
  if (error.cause !== undefined) out.cause = serializeError(error.cause);
  return out;
}

export function createLogger(level: LogLevel, component = 'vigil', write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const threshold = LEVELS[level];
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[lvl] < threshold) return;
    const record: Record<string, unknown> = { level: lvl, time: new Date().toISOString(), component, msg };
    if (fields) for (const [k, v] of Object.entries(fields)) record[k] = k === 'err' ? serializeError(v) : v;
    write(`${JSON.stringify(record)}\n`);
  };
  return {
    level,
    isEnabled: (lvl) => LEVELS[lvl] >= threshold,
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (name) => createLogger(level, `${component}.${name}`, write),
  };
}
