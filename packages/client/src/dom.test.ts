import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseData } from './channel.js';
import { lookupPath, textOf } from './dom.js';
import { Members } from './members.js';

test('dot paths reach into objects and arrays; missing steps give undefined', () => {
  const data = { seats_left: 11, order: { items: [{ name: 'A' }, { name: 'B' }] }, zero: 0 };
  assert.equal(lookupPath(data, 'seats_left'), 11);
  assert.equal(lookupPath(data, 'order.items.1.name'), 'B');
  assert.equal(lookupPath(data, 'zero'), 0);
  assert.equal(lookupPath(data, 'order.missing.name'), undefined);
  assert.equal(lookupPath(data, 'seats_left.x'), undefined);
  assert.equal(lookupPath('plain', 'x'), undefined);
  assert.equal(lookupPath(data, 'toString'), undefined, 'inherited properties are not data');
  assert.equal(lookupPath(data, 'constructor'), undefined);
});

test('without a field the whole data is used', () => {
  assert.equal(lookupPath(42, null), 42);
  assert.equal(lookupPath('text', ''), 'text');
});

test('only strings and finite numbers become text', () => {
  assert.equal(textOf('<b>x</b>'), '<b>x</b>');
  assert.equal(textOf(12), '12');
  assert.equal(textOf(0), '0');
  assert.equal(textOf(Number.NaN), null);
  assert.equal(textOf(null), null);
  assert.equal(textOf(undefined), null);
  assert.equal(textOf({ a: 1 }), null);
  assert.equal(textOf([1]), null);
  assert.equal(textOf(true), null);
});

test('data is parsed JSON when the published string is JSON, else the string', () => {
  assert.deepEqual(parseData('{"seats_left":11}'), { seats_left: 11 });
  assert.equal(parseData('12'), 12);
  assert.equal(parseData('hello'), 'hello');
  assert.deepEqual(parseData({ already: 'object' }), { already: 'object' });
});

test('presence members: reset from the snapshot, add/remove report only changes', () => {
  const members = new Members();
  members.myID = '1';
  members.reset({ ids: ['1', '2'], hash: { '1': { name: 'Ann' }, '2': null }, count: 2 });
  assert.equal(members.count, 2);
  assert.deepEqual(members.me, { id: '1', info: { name: 'Ann' } });
  assert.deepEqual(members.add({ user_id: 3, user_info: { name: 'Cy' } }), { id: '3', info: { name: 'Cy' } });
  assert.equal(members.add({ user_id: '3', user_info: { name: 'Cy' } }), null);
  assert.equal(members.count, 3);
  assert.deepEqual(members.get(3), { id: '3', info: { name: 'Cy' } });
  assert.deepEqual(members.remove({ user_id: '2' }), { id: '2', info: null });
  assert.equal(members.remove({ user_id: '2' }), null);
  const seen: string[] = [];
  members.each((member) => seen.push(member.id));
  assert.deepEqual(seen, ['1', '3']);
  assert.equal(members.count, 2);
});
