/**
 * The payers and terminals of the open-loop tests (~230,000 active entities: an account, a card, a device and an IP
 * per customer, plus terminals and merchants). load-tests/prefill-history.ts writes their history and
 * bench/miss-regime.bench.ts reads it, so all three must stream the same ones.
 */
export const OPEN_LOOP_POPULATION = { customers: 50_000, terminals: 10_000, fraudRate: 0.004 } as const;
