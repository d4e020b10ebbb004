import type { ScoredRows } from './scored.ts';

export const DAY_MS = 86_400_000;

export function dayString(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export interface CardPrecisionResult {
  k: number;
  mean: number;
  perDay: { day: string; precision: number; compromisedCards: number; detected: number }[];
}

/**
 * Card Precision@k with the handbook's protocol (Chapter 3 "Baseline fraud detection system"): per test day,
 * cards already known as compromised (a fraud on days [trainStart, day − 8]) are removed, and so are cards
 * detected on an earlier test day; the remaining cards are ranked by their highest score that day and the
 * share of the top k that had a fraud that day is the day's precision. Ties keep first-seen order.
 */
export function cardPrecisionAtK(rows: ScoredRows, testStartDay: number, testDays: number, k: number, trainStartDay = testStartDay - 14, delayDays = 7): CardPrecisionResult {
  const known = new Set<number>();
  const fraudByDay = new Map<number, number[]>();
  for (let i = 0; i < rows.length; i++) {
    if (rows.fraud[i] !== 1) continue;
    const d = rows.day[i]!;
    let list = fraudByDay.get(d);
    if (!list) fraudByDay.set(d, (list = []));
    list.push(rows.entity[i]!);
  }
  for (let d = trainStartDay; d <= testStartDay - delayDays - 1; d++) for (const c of fraudByDay.get(d) ?? []) known.add(c);
  const detected = new Set<number>();
  const days = rows.byDay(testStartDay, testStartDay + testDays);
  const perDay: CardPrecisionResult['perDay'] = [];
  for (let d = testStartDay; d < testStartDay + testDays; d++) {
    if (d > testStartDay) for (const c of fraudByDay.get(d - delayDays - 1) ?? []) known.add(c);
    const best = new Map<number, { score: number; fraud: number }>();
    for (const i of days.get(d) ?? []) {
      const c = rows.entity[i]!;
      if (known.has(c) || detected.has(c)) continue;
      const b = best.get(c);
      if (!b) best.set(c, { score: rows.score[i]!, fraud: rows.fraud[i]! });
      else { if (rows.score[i]! > b.score) b.score = rows.score[i]!; b.fraud |= rows.fraud[i]!; }
    }
    const ranked = [...best.entries()].sort((a, b) => b[1].score - a[1].score);
    let hits = 0;
    for (const [c, b] of ranked.slice(0, k)) if (b.fraud) { hits++; detected.add(c); }
    const compromised = ranked.filter(([, b]) => b.fraud).length;
    perDay.push({ day: dayString(d), precision: hits / k, compromisedCards: compromised, detected: hits });
  }
  const mean = perDay.reduce((s, p) => s + p.precision, 0) / Math.max(1, perDay.length);
  return { k, mean, perDay };
}

export interface BudgetResult {
  /** Alerts per day: the day's `budget` highest-scored transactions. */
  budget: number;
  precision: number;
  recall: number;
}

/** Transaction precision and recall when analysts can look at `budget` alerts a day (top-scored), over [from, to). */
export function precisionRecallAtBudgets(rows: ScoredRows, fromDay: number, toDay: number, budgets: readonly number[]): BudgetResult[] {
  const days = rows.byDay(fromDay, toDay);
  const sorted = [...days.values()].map((idx) => idx.sort((a, b) => rows.score[b]! - rows.score[a]!));
  let frauds = 0;
  for (const idx of sorted) for (const i of idx) frauds += rows.fraud[i]!;
  return budgets.map((budget) => {
    let tp = 0;
    let alerts = 0;
    for (const idx of sorted) {
      const top = idx.slice(0, budget);
      alerts += top.length;
      for (const i of top) tp += rows.fraud[i]!;
    }
    return { budget, precision: alerts === 0 ? 0 : tp / alerts, recall: frauds === 0 ? 0 : tp / frauds };
  });
}

export interface DailyAlerts {
  day: string;
  transactions: number;
  frauds: number;
  /** Decisions review or block. */
  alerts: number;
  blocks: number;
  /** Share of alerts that were fraud. */
  precision: number;
  /** Share of frauds that raised an alert. */
  recall: number;
}

export function dailyAlerts(rows: ScoredRows, fromDay: number, toDay: number): DailyAlerts[] {
  const out: DailyAlerts[] = [];
  for (const [d, idx] of [...rows.byDay(fromDay, toDay).entries()].sort((a, b) => a[0] - b[0])) {
    let frauds = 0, alerts = 0, blocks = 0, tp = 0;
    for (const i of idx) {
      const f = rows.fraud[i]!;
      frauds += f;
      if (rows.decision[i]! > 0) { alerts++; tp += f; }
      if (rows.decision[i] === 2) blocks++;
    }
    out.push({ day: dayString(d), transactions: idx.length, frauds, alerts, blocks, precision: alerts === 0 ? 0 : tp / alerts, recall: frauds === 0 ? 0 : tp / frauds });
  }
  return out;
}

/** Area under the ROC curve over [from, to) (ties count half), for the report beside the book's AUCs. */
export function rocAuc(rows: ScoredRows, fromDay: number, toDay: number): number {
  const idx: number[] = [];
  for (let i = 0; i < rows.length; i++) if (rows.day[i]! >= fromDay && rows.day[i]! < toDay) idx.push(i);
  idx.sort((a, b) => rows.score[a]! - rows.score[b]!);
  let pos = 0, neg = 0, rankSum = 0;
  for (let j = 0; j < idx.length; ) {
    let k = j;
    while (k < idx.length && rows.score[idx[k]!] === rows.score[idx[j]!]) k++;
    const avgRank = (j + 1 + k) / 2;
    for (let m = j; m < k; m++) if (rows.fraud[idx[m]!]) { pos++; rankSum += avgRank; } else neg++;
    j = k;
  }
  return pos === 0 || neg === 0 ? NaN : (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** The handbook's published baselines on its protocol (AUC ROC / average precision / Card Precision@100). */
export const HANDBOOK_BASELINES = [
  { model: 'logistic regression', auc: 0.871, averagePrecision: 0.606, cardPrecision100: 0.291 },
  { model: 'random forest', auc: 0.867, averagePrecision: 0.658, cardPrecision100: 0.287 },
  { model: 'XGBoost', auc: 0.862, averagePrecision: 0.639, cardPrecision100: 0.273 },
  { model: 'decision tree (depth 2)', auc: 0.763, averagePrecision: 0.496, cardPrecision100: 0.241 },
  { model: 'constant score', auc: 0.5, averagePrecision: 0.007, cardPrecision100: 0.017 },
] as const;
