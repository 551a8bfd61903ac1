/**
 * Each app's control shard channel, which every node subscribes to: terminations and users going online or
 * offline must reach every node, whichever channels it serves. Also turns the totals a cleanup or resync moved
 * across zero into the announcements this node was chosen to make.
 */
import type { AdapterHandlers } from '../adapter.js';
import { AppKeys } from './keys.js';
import type { RedisClient } from './scripts.js';
import { parseMember, type ShareTransition } from './shares.js';
import type { Subscriber } from './subscriber.js';

type ControlMessage = { t: 'terminate'; user: string } | { t: 'user'; user: string; online: boolean };

export class Control {
  /** Control shard channel → app id. */
  private readonly apps = new Map<string, string>();

  constructor(
    private readonly client: RedisClient,
    private readonly subscriber: Subscriber,
    private readonly handlers: () => AdapterHandlers | null,
  ) {}

  /** Subscribes to every app's control channel; one that fails now is subscribed when Redis is reachable. */
  async start(appIds: readonly string[]): Promise<void> {
    for (const appId of appIds) this.apps.set(new AppKeys(appId).control, appId);
    await Promise.all([...this.apps.keys()].map((shard) => this.subscriber.add(shard).catch(() => {})));
  }

  terminate(appId: string, userId: string): Promise<void> {
    return this.send(appId, { t: 'terminate', user: userId });
  }

  userChanged(appId: string, userId: string, online: boolean): Promise<void> {
    return this.send(appId, { t: 'user', user: userId, online });
  }

  /** A message on a control channel; false when `shard` is not one. */
  receive(shard: string, payload: string): boolean {
    const appId = this.apps.get(shard);
    if (appId === undefined) return false;
    const handlers = this.handlers();
    let message: ControlMessage;
    try {
      message = JSON.parse(payload) as ControlMessage;
    } catch {
      return true; // not ours; throwing here would break the subscriber connection's parser
    }
    if (message.t === 'terminate') handlers?.terminateUser(appId, message.user);
    else handlers?.userPresenceChanged(appId, message.user, message.online);
    return true;
  }

  /** Announces what a cleanup or resync changed: this node moved each of these totals across zero. */
  announce(transitions: readonly ShareTransition[]): void {
    const handlers = this.handlers();
    for (const change of transitions) {
      const left = change.after === 0;
      if (change.kind === 'subs' && left) handlers?.channelVacated(change.appId, change.channel!);
      if (change.kind === 'presence' && left) {
        const [member] = parseMember(change.member);
        handlers?.memberLeft(change.appId, change.channel!, member ?? { userId: change.field });
      }
      if (change.kind === 'users') void this.userChanged(change.appId, change.field, !left).catch(() => {});
    }
  }

  private async send(appId: string, message: ControlMessage): Promise<void> {
    await this.client.spublish(new AppKeys(appId).control, JSON.stringify(message));
  }
}
