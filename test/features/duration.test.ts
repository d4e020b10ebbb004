import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration } from '../../src/features/duration.ts';

describe('durations', () => {
  it('parses integer durations with a unit', () => {
    assert.deepEqual(['250ms', '1s', '1m', '10m', '1h', '24h', '7d', '30d'].map(parseDuration), [250, 1000, 60_000, 600_000, 3_600_000, 86_400_000, 604_800_000, 2_592_000_000]);
  });
  it('rejects anything else', () => {
    for (const text of ['', '1', 'm', '0m', '-1m', '1.5h', '1 h', '1H', '1w', '01m', '99999999999999999d']) assert.equal(parseDuration(text), undefined, text);
  });
  it('formats with the largest exact unit and round-trips', () => {
    for (const ms of [1, 999, 1000, 90_000, 3_600_000, 86_400_000, 2_592_000_000]) assert.equal(parseDuration(formatDuration(ms)), ms);
    assert.equal(formatDuration(86_400_000), '1d');
    assert.equal(formatDuration(90_000), '90s');
  });
});
