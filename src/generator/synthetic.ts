import type { PaymentEvent } from '../ingest/event.ts';
import { Random } from './random.ts';

export type Scenario = 'normal' | 'card_testing' | 'account_takeover' | 'mule_chain';

export interface GeneratedEvent {
  event: PaymentEvent;
  scenario: Scenario;
}

export interface SyntheticOptions {
  seed: number;
  customers: number;
  terminals: number;
  /** Share of events that start an injected fraud pattern (0–1). */
  fraudRate: number;
}

interface Customer {
  account: string;
  card: string;
  device: string;
  ip: string;
  country: string;
  medianAmount: number;
}

const COUNTRIES = ['FR', 'DE', 'ES', 'IT', 'NL', 'BE', 'PT', 'IE'];
const FOREIGN = ['NG', 'RU', 'BR', 'VN', 'ID', 'UA'];
const CURRENCY_BY_COUNTRY: Record<string, string> = { FR: 'EUR', DE: 'EUR', ES: 'EUR', IT: 'EUR', NL: 'EUR', BE: 'EUR', PT: 'EUR', IE: 'EUR' };

/**
 * An endless, realistic-looking payment stream: card payments and transfers of a fixed customer base,
 * with injected card-testing bursts, account takeovers and mule chains. Pure: time is passed in.
 */
export class SyntheticStream {
  private readonly random: Random;
  private readonly customers: Customer[];
  private readonly pending: GeneratedEvent[] = [];
  private sequence = 0;
  private muleSequence = 0;

  constructor(private readonly options: SyntheticOptions) {
    this.random = new Random(options.seed);
    this.customers = Array.from({ length: options.customers }, (_, i) => ({
      account: `acc-${i}`,
      card: `card-${i}`,
      device: `dev-${i}`,
      ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      country: this.random.pick(COUNTRIES),
      medianAmount: 1500 + this.random.int(6000),
    }));
  }

  private id(): string {
    return `syn-${this.options.seed}-${++this.sequence}`;
  }

  private terminal(): string {
    return `term-${this.random.int(this.options.terminals)}`;
  }

  private normal(ts: number): GeneratedEvent {
    const c = this.random.pick(this.customers);
    if (this.random.chance(0.15)) {
      const to = this.random.pick(this.customers);
      return {
        scenario: 'normal',
        event: { id: this.id(), ts, type: 'transfer', amount: this.random.amount(c.medianAmount * 4), currency: 'EUR', account: c.account, beneficiary: to.account, device: c.device, ip: c.ip, country: c.country, channel: 'mobile' },
      };
    }
    const terminal = this.terminal();
    return {
      scenario: 'normal',
      event: { id: this.id(), ts, type: 'card_auth', amount: this.random.amount(c.medianAmount), currency: CURRENCY_BY_COUNTRY[c.country] ?? 'EUR', account: c.account, card: c.card, terminal, merchant: `merchant-${terminal.slice(5)}`, device: c.device, ip: c.ip, country: c.country, channel: 'pos' },
    };
  }

  /** Many small authorisations on one stolen card across merchants within seconds. */
  private cardTesting(ts: number): void {
    const c = this.random.pick(this.customers);
    const ip = `203.0.113.${this.random.int(255)}`;
    const device = `bot-${this.random.int(1000)}`;
    const n = 8 + this.random.int(10);
    for (let i = 0; i < n; i++) {
      const terminal = this.terminal();
      this.pending.push({
        scenario: 'card_testing',
        event: { id: this.id(), ts: ts + i * 700, type: 'card_auth', amount: 50 + this.random.int(200), currency: 'EUR', account: c.account, card: c.card, terminal, merchant: `merchant-${terminal.slice(5)}`, device, ip, country: this.random.pick(FOREIGN), channel: 'ecommerce' },
      });
    }
  }

  /** A new device and foreign IP empty the account to a new beneficiary. */
  private accountTakeover(ts: number): void {
    const c = this.random.pick(this.customers);
    const device = `dev-ato-${this.random.int(50)}`;
    const ip = `198.51.100.${this.random.int(255)}`;
    const beneficiary = `mule-${this.random.int(200)}`;
    this.pending.push({ scenario: 'account_takeover', event: { id: this.id(), ts, type: 'transfer', amount: 50 * c.medianAmount, currency: 'EUR', account: c.account, beneficiary, device, ip, country: this.random.pick(FOREIGN), channel: 'web' } });
    this.pending.push({ scenario: 'account_takeover', event: { id: this.id(), ts: ts + 2000, type: 'transfer', amount: 30 * c.medianAmount, currency: 'EUR', account: c.account, beneficiary, device, ip, country: this.random.pick(FOREIGN), channel: 'web' } });
  }

  /** Several victims pay one mule, who forwards along a chain and cashes out. */
  private muleChain(ts: number): void {
    const chain = ++this.muleSequence;
    const mules = [`mule-${chain}-a`, `mule-${chain}-b`, `mule-${chain}-c`];
    const device = `dev-mule-${chain % 20}`;
    let total = 0;
    for (let i = 0; i < 5; i++) {
      const victim = this.random.pick(this.customers);
      const amount = this.random.amount(victim.medianAmount * 10);
      total += amount;
      this.pending.push({ scenario: 'mule_chain', event: { id: this.id(), ts: ts + i * 5000, type: 'transfer', amount, currency: 'EUR', account: victim.account, beneficiary: mules[0]!, device: victim.device, ip: victim.ip, country: victim.country, channel: 'mobile' } });
    }
    for (let hop = 0; hop < mules.length - 1; hop++) {
      total = Math.round(total * 0.95);
      this.pending.push({ scenario: 'mule_chain', event: { id: this.id(), ts: ts + 30_000 + hop * 10_000, type: 'transfer', amount: total, currency: 'EUR', account: mules[hop]!, beneficiary: mules[hop + 1]!, device, ip: '192.0.2.10', country: 'FR', channel: 'web' } });
    }
    this.pending.push({ scenario: 'mule_chain', event: { id: this.id(), ts: ts + 60_000, type: 'cash_out', amount: total, currency: 'EUR', account: mules[mules.length - 1]!, device, ip: '192.0.2.10', country: 'FR', channel: 'atm' } });
  }

  /** The next event, stamped at `now` (injected patterns are spread over the following seconds). */
  next(now: number): GeneratedEvent {
    const queued = this.pending.shift();
    if (queued !== undefined) {
      queued.event.ts = Math.min(queued.event.ts, now);
      return queued;
    }
    if (this.random.chance(this.options.fraudRate)) {
      const r = this.random.next();
      if (r < 0.5) this.cardTesting(now);
      else if (r < 0.8) this.accountTakeover(now);
      else this.muleChain(now);
      return this.next(now);
    }
    return this.normal(now);
  }
}
