import { decode as decodeMsgpack, encode as encodeMsgpack } from '@msgpack/msgpack';
import type { Decision } from '../../rules/decision.ts';

/** An alert as the console shows it: the decision as produced, plus where it sat on the alerts topic. */
export interface ConsoleAlert extends Decision {
  /** The payer account (the record key). */
  key: string;
  /** `partition:offset`, unique per alert record. */
  pos: string;
}

/** Frames the server sends; every frame is one object with a `t` (type) field. */
export type ServerFrame =
  | { t: 'hello'; user: string; role: string; format: FrameFormat; backlog: number }
  | { t: 'alerts'; alerts: ConsoleAlert[]; backlog: boolean }
  | { t: 'missed'; count: number }
  | { t: 'acked'; eventId: string; by: string; at: number }
  | { t: 'result'; req: number; ok: boolean; error?: string }
  | { t: 'error'; message: string };

export type FrameFormat = 'msgpack' | 'json';

export function encodeFrame(frame: ServerFrame, format: FrameFormat): Uint8Array | string {
  return format === 'json' ? JSON.stringify(frame) : encodeMsgpack(frame);
}

/**
 * Decodes an alerts-topic record (JSON or MessagePack, by content-type header, JSON when absent) into
 * a console alert, or undefined when it is not a decision.
 */
export function decodeAlert(value: Buffer | null, contentType: string | undefined, key: string, pos: string): ConsoleAlert | undefined {
  if (value === null || value.length === 0) return undefined;
  let raw: unknown;
  try {
    raw = contentType === 'application/msgpack' ? decodeMsgpack(value) : JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const d = raw as Record<string, unknown>;
  if (typeof d.eventId !== 'string' || typeof d.decision !== 'string' || typeof d.score !== 'number' || typeof d.ts !== 'number' || !Array.isArray(d.reasons)) return undefined;
  const alert = d as unknown as ConsoleAlert;
  alert.key = key;
  alert.pos = pos;
  if (alert.features === null || typeof alert.features !== 'object') alert.features = {};
  return alert;
}
