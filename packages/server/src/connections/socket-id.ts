import { randomBytes, randomInt } from 'node:crypto';
import type { Hub } from '../channels/hub.js';

/** Two random integers, as Pusher's socket ids; unique on this node (checked), practically unique cluster-wide. */
export function newSocketId(hub: Hub, appId: string): string {
  for (;;) {
    const id = `${randomInt(1, 2 ** 31 - 1)}.${randomInt(1, 2 ** 31 - 1)}`;
    if (!hub.connection(appId, id)) return id;
  }
}

/** 128 random bits: the secret that lets an HTTP client act for its connection (a socket id never does). */
export function newSessionToken(): string {
  return randomBytes(16).toString('base64url');
}
