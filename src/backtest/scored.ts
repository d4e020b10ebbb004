/** Column store of every scored transaction of a run: compact enough for the 1.75M handbook rows. */
export class ScoredRows {
  length = 0;
  score = new Float64Array(1 << 16);
  /** Event-time day number (UTC days since epoch). */
  day = new Int32Array(1 << 16);
  /** Card (or account when there is no card) as a dense index. */
  entity = new Int32Array(1 << 16);
  fraud = new Uint8Array(1 << 16);
  /** 0 allow, 1 review, 2 block. */
  decision = new Uint8Array(1 << 16);
  private readonly ids = new Map<string, number>();

  push(score: number, ts: number, entity: string, fraud: boolean, decision: 'allow' | 'review' | 'block'): void {
    if (this.length === this.score.length) this.grow();
    let id = this.ids.get(entity);
    if (id === undefined) this.ids.set(entity, (id = this.ids.size));
    const i = this.length++;
    this.score[i] = score;
    this.day[i] = Math.floor(ts / 86_400_000);
    this.entity[i] = id;
    this.fraud[i] = fraud ? 1 : 0;
    this.decision[i] = decision === 'allow' ? 0 : decision === 'review' ? 1 : 2;
  }

  private grow(): void {
    const n = this.score.length * 2;
    const g = <T extends Float64Array | Int32Array | Uint8Array>(a: T, C: new (n: number) => T): T => { const b = new C(n); b.set(a); return b; };
    this.score = g(this.score, Float64Array);
    this.day = g(this.day, Int32Array);
    this.entity = g(this.entity, Int32Array);
    this.fraud = g(this.fraud, Uint8Array);
    this.decision = g(this.decision, Uint8Array);
  }

  /** Row indexes per day, for days in [fromDay, toDay). */
  byDay(fromDay: number, toDay: number): Map<number, number[]> {
    const out = new Map<number, number[]>();
    for (let i = 0; i < this.length; i++) {
      const d = this.day[i]!;
      if (d < fromDay || d >= toDay) continue;
      let list = out.get(d);
      if (!list) out.set(d, (list = []));
      list.push(i);
    }
    return out;
  }
}
