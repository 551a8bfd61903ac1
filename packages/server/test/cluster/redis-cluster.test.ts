/**
 * The cluster suite's core against a three-master Redis Cluster started by the test: a channel's keys share a
 * slot (hash tags), scripts run on the slot's master, and each node SSUBSCRIBEs on the master that serves a
 * channel's slot.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { keySlot } from '../../src/cluster/redis/keys.js';
import { startCluster } from './support/cluster.js';
import { clusterCoreSuite } from './support/core-suite.js';

it('hash tags put every key of a channel in one slot, and different channels in different slots', () => {
  const slots = ['news', 'presence-room', 'cache-price'].map((channel) => keySlot(`pr:{cl:${channel}}:s`));
  assert.equal(keySlot('pr:{cl:news}:s'), keySlot('pr:{cl:news}:m'));
  assert.equal(keySlot('pr:{cl:news}:members'), keySlot('pr:{cl:news}:subs:node-1'));
  assert.equal(new Set(slots).size, 3);
  assert.equal(keySlot('123456789'), 12739, 'CRC16/XMODEM as Redis Cluster computes it');
});

clusterCoreSuite('three nodes, three-master Redis Cluster', () => startCluster({ redis: 'cluster' }));
