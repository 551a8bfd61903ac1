import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPosition } from '../protocol/positions.js';
import { HistoryStore } from './history.js';

const limits = { maxEvents: 5, maxAgeMs: 60_000 };

function clock(start = 1_000_000) {
  const time = { now: start };
  return { time, now: () => time.now };
}

function append(store: HistoryStore, key: string, text: string, streamLimits = limits) {
  const { position, entry } = store.append(key, streamLimits, (at) =>
    JSON.stringify({ text, position: formatPosition(at) }),
  );
  return { position, json: entry.json };
}

describe('HistoryStore', () => {
  it('numbers events 1, 2, 3 per stream, with one epoch per stream', () => {
    const store = new HistoryStore(1 << 20);
    const a1 = append(store, 'a', 'x');
    const a2 = append(store, 'a', 'y');
    const b1 = append(store, 'b', 'z');
    assert.equal(a1.position.serial, 1);
    assert.equal(a2.position.serial, 2);
    assert.equal(a1.position.epoch, a2.position.epoch);
    assert.equal(b1.position.serial, 1);
    assert.notEqual(b1.position.epoch, a1.position.epoch);
    assert.match(a1.position.epoch, /^[A-Za-z0-9_-]{1,32}$/);
    // The envelope is built with its own position.
    assert.equal(JSON.parse(a2.json).position, formatPosition(a2.position));
  });

  it('a new stream is at serial 0', () => {
    const store = new HistoryStore(1 << 20);
    assert.equal(store.position('fresh').serial, 0);
    const read = store.read('fresh', limits, null);
    assert.ok(read.ok);
    assert.deepEqual(read.entries, []);
  });

  it('reads the events after a position, in order, and nothing when up to date', () => {
    const store = new HistoryStore(1 << 20);
    const first = append(store, 'a', '1');
    append(store, 'a', '2');
    const third = append(store, 'a', '3');
    const read = store.read('a', limits, first.position);
    assert.ok(read.ok);
    assert.deepEqual(
      read.entries.map((entry) => entry.serial),
      [2, 3],
    );
    assert.deepEqual(read.position, third.position);
    const upToDate = store.read('a', limits, third.position);
    assert.ok(upToDate.ok);
    assert.equal(upToDate.entries.length, 0);
    const limited = store.read('a', limits, first.position, 1);
    assert.ok(limited.ok);
    assert.deepEqual(
      limited.entries.map((entry) => entry.serial),
      [2],
    );
    const newest = store.read('a', limits, null, 2);
    assert.ok(newest.ok);
    assert.deepEqual(
      newest.entries.map((entry) => entry.serial),
      [2, 3],
    );
  });

  it('keeps at most maxEvents per stream and reports older positions as too_old', () => {
    const store = new HistoryStore(1 << 20);
    const positions = Array.from({ length: 8 }, (_, index) => append(store, 'a', String(index)).position);
    const all = store.read('a', limits, null);
    assert.ok(all.ok);
    assert.deepEqual(
      all.entries.map((entry) => entry.serial),
      [4, 5, 6, 7, 8],
    );
    // Resuming from serial 3 needs 4.. which is all there.
    assert.ok(store.read('a', limits, positions[2]!).ok);
    const gone = store.read('a', limits, positions[1]!);
    assert.equal(gone.ok, false);
    assert.equal(!gone.ok && gone.reason, 'too_old');
  });

  it('drops events older than maxAgeMs', () => {
    const { time, now } = clock();
    const store = new HistoryStore(1 << 20, now);
    const first = append(store, 'a', 'old');
    time.now += 30_000;
    append(store, 'a', 'newer');
    time.now += 31_000;
    const read = store.read('a', limits, first.position);
    assert.ok(read.ok, 'the event after `first` is still young enough');
    assert.deepEqual(
      read.entries.map((entry) => entry.serial),
      [2],
    );
    time.now += 30_000;
    const expired = store.read('a', limits, first.position);
    assert.equal(!expired.ok && expired.reason, 'too_old');
  });

  it('reports another epoch and positions ahead of the stream', () => {
    const store = new HistoryStore(1 << 20);
    const { position } = append(store, 'a', '1');
    const other = store.read('a', limits, { epoch: 'elsewhere', serial: 1 });
    assert.equal(!other.ok && other.reason, 'epoch_changed');
    const ahead = store.read('a', limits, { epoch: position.epoch, serial: 5 });
    assert.equal(!ahead.ok && ahead.reason, 'invalid_position');
  });

  it('stays under the memory cap by emptying and then forgetting the least recently used stream, whose epoch then changes', () => {
    const store = new HistoryStore(4_000);
    const old = append(store, 'old', 'x'.repeat(200), { maxEvents: 100, maxAgeMs: 60_000 });
    for (let index = 0; index < 20; index++)
      append(store, `s${index}`, 'y'.repeat(200), { maxEvents: 100, maxAgeMs: 60_000 });
    const stats = store.stats();
    assert.ok(stats.bytes <= 4_000, `bytes ${stats.bytes}`);
    assert.ok(stats.evictions > 0);
    const read = store.read('old', limits, old.position);
    assert.equal(!read.ok && read.reason, 'epoch_changed');
  });

  it('over the cap with many channels published in turn, keeps every channel and its newest events', () => {
    const store = new HistoryStore(60_000);
    const streamLimits = { maxEvents: 100, maxAgeMs: 60_000 };
    const epochs = new Map<string, string>();
    for (let round = 1; round <= 30; round++) {
      for (let index = 0; index < 20; index++) {
        const { position } = append(store, `c${index}`, 'p'.repeat(200), streamLimits);
        if (round === 1) epochs.set(`c${index}`, position.epoch);
        assert.equal(position.epoch, epochs.get(`c${index}`), 'no channel is thrown away and recreated');
        assert.equal(position.serial, round);
      }
    }
    assert.ok(store.stats().bytes <= 60_000);
    for (let index = 0; index < 20; index++) {
      const read = store.read(`c${index}`, streamLimits, null);
      assert.ok(read.ok);
      // About 76 entries of ~780 bytes fit in 60 KB: shared evenly, 3 or 4 per channel.
      assert.ok(read.entries.length >= 3, `c${index} keeps ${read.entries.length} events`);
      assert.equal(read.entries.at(-1)!.serial, 30, 'the newest event is kept');
    }
  });

  it('trims the stream being written when it alone passes the cap', () => {
    const store = new HistoryStore(3_000);
    for (let index = 0; index < 50; index++)
      append(store, 'big', 'z'.repeat(300), { maxEvents: 100, maxAgeMs: 60_000 });
    assert.ok(store.stats().bytes <= 3_000);
    const read = store.read('big', limits, null);
    assert.ok(read.ok && read.entries.length >= 1 && read.entries.at(-1)!.serial === 50);
  });

  it('keeps no events with maxEvents 0, but still numbers them', () => {
    const store = new HistoryStore(1 << 20);
    append(store, 'a', '1', { maxEvents: 0, maxAgeMs: 1_000 });
    const second = append(store, 'a', '2', { maxEvents: 0, maxAgeMs: 1_000 });
    assert.equal(second.position.serial, 2);
    const read = store.read('a', limits, { epoch: second.position.epoch, serial: 1 });
    assert.equal(!read.ok && read.reason, 'too_old');
  });

  it('sweep frees expired events of idle streams', () => {
    const { time, now } = clock();
    const store = new HistoryStore(1 << 20, now);
    append(store, 'idle', 'x'.repeat(1_000));
    const before = store.stats().bytes;
    time.now += 120_000;
    store.sweep(() => limits);
    assert.ok(store.stats().bytes < before);
  });
});
