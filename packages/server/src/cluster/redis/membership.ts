/**
 * Node liveness and crash cleanup. Every node heartbeats into a registry (scores are Redis time); a node whose
 * entry expired is dead. One live node claims its cleanup (claim.lua) and drops the dead node's shares
 * (drop.lua), which reports each total that fell to zero exactly once: that node announces the departures
 * (`member_removed`, `channel_vacated`, users offline).
 *
 * A node that finds its own entry expired or gone was (or is about to be) reaped, or Redis lost its data: it
 * rejoins under a new id, since another node may be deleting the old id's shares right now.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { AppKeys, REAPING_KEY, REGISTRY_KEY, shareKey } from './keys.js';
import type { RedisClient, Scripts } from './scripts.js';
import { type Shares, type ShareTarget, type ShareTransition, targetKeys } from './shares.js';

export interface MembershipTiming {
  /** How often a node heartbeats and looks for dead nodes. */
  heartbeatMs: number;
  /** A node not heard from for this long is dead. */
  nodeTtlMs: number;
}

export const DEFAULT_TIMING: MembershipTiming = { heartbeatMs: 1_000, nodeTtlMs: 5_000 };
/** How long a claimed cleanup may take before another node may take it over. */
const REAP_LEASE_MS = 30_000;

export interface MembershipEvents {
  /** Totals that fell to zero (or rose from it, on resync) because of this node's cleanup: announce them. */
  announce(transitions: ShareTransition[]): void;
  /** This node's old id is gone: everything it registered is forgotten; its connections must rejoin. */
  lost(): void;
  healthChanged(): void;
}

export class Membership {
  private readonly base = randomBytes(6).toString('base64url');
  private generation = 0;
  private registered = false;
  private lastBeat = 0;
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<void> | null = null;

  constructor(
    private readonly client: RedisClient,
    private readonly scripts: Scripts,
    private readonly appIds: readonly string[],
    private readonly shares: Shares,
    private readonly events: MembershipEvents,
    private readonly logger: Logger,
    private readonly timing: MembershipTiming = DEFAULT_TIMING,
  ) {}

  /** Unique per process and per rejoin; safe inside Redis keys (base64url, no braces). */
  get nodeId(): string {
    return `${this.base}.${this.generation}`;
  }

  /** Heartbeats recently enough that the cluster counts this node alive. */
  isAlive(): boolean {
    return this.registered && Date.now() - this.lastBeat < this.timing.nodeTtlMs - this.timing.heartbeatMs;
  }

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => {
      this.beating ??= this.beat().finally(() => {
        this.beating = null;
      });
    }, this.timing.heartbeatMs);
    this.timer.unref();
  }

  /** Stops heartbeating and removes this node's remaining shares and registry entry (a clean leave). */
  async stop(): Promise<ShareTransition[]> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.beating;
    if (!this.registered) return [];
    const transitions = await this.dropNode(this.nodeId, this.shares.clear());
    await this.client.zrem(REGISTRY_KEY, this.nodeId);
    this.registered = false;
    return transitions;
  }

  private async beat(): Promise<void> {
    const wasAlive = this.isAlive();
    try {
      const reply = (await this.scripts.heartbeat.run(
        this.client,
        [REGISTRY_KEY, REAPING_KEY],
        [this.nodeId, this.timing.nodeTtlMs, this.registered ? '0' : '1'],
      )) as string[];
      const [status, ...dead] = reply;
      if (status === 'lost') {
        const old = this.nodeId;
        this.logger.warn(
          { node: old },
          'this node was declared dead by the cluster (or Redis lost its data); rejoining',
        );
        this.generation++;
        this.registered = false;
        const forgotten = this.shares.clear();
        this.events.lost();
        // Shares written under the old id since Redis lost its data are in no registry, so nobody would reap
        // them: drop them here (a reaper working on the old id concurrently is harmless: each drop runs once).
        this.events.announce(await this.dropNode(old, forgotten));
        return this.beat();
      }
      this.registered = true;
      this.lastBeat = Date.now();
      if (this.shares.dirty) this.events.announce(await this.shares.resync());
      for (const node of dead) if (node !== this.nodeId) await this.reap(node);
    } catch (error) {
      this.logger.debug({ err: error }, 'heartbeat failed');
    } finally {
      if (wasAlive !== this.isAlive()) this.events.healthChanged();
    }
  }

  private async reap(node: string): Promise<void> {
    const claimed = await this.scripts.claim.run(
      this.client,
      [REGISTRY_KEY, REAPING_KEY],
      [node, REAP_LEASE_MS],
    );
    if (Number(claimed) !== 1) return;
    this.logger.warn({ node }, 'cleaning up after a dead node');
    this.events.announce(await this.dropNode(node, []));
    await this.client.zrem(REAPING_KEY, node);
  }

  /**
   * Drops every share `node` holds: those its channel index lists, app by app, and `known` ones (a node
   * dropping its own old id knows them even where Redis lost the index). Returns the totals that fell to zero.
   */
  private async dropNode(node: string, known: readonly ShareTarget[]): Promise<ShareTransition[]> {
    const targets: Array<Omit<ShareTarget, 'field'>> = [...known];
    for (const appId of this.appIds) {
      for (const channel of await this.client.smembers(new AppKeys(appId).channelsOf(node))) {
        targets.push({ kind: 'subs', appId, channel }, { kind: 'presence', appId, channel });
      }
      targets.push({ kind: 'users', appId }, { kind: 'conns', appId });
    }
    const transitions: ShareTransition[] = [];
    const dropped = new Set<string>();
    for (const target of targets) {
      const { totals, members } = targetKeys(target);
      const share = shareKey(totals, node);
      if (dropped.has(share)) continue;
      dropped.add(share);
      const keys = members ? [totals, share, members] : [totals, share];
      const gone = (await this.scripts.drop.run(this.client, keys, [])) as string[];
      for (let index = 0; index < gone.length; index += 2) {
        transitions.push({ ...target, field: gone[index]!, member: gone[index + 1]!, before: 1, after: 0 });
      }
    }
    await Promise.all(this.appIds.map((appId) => this.client.del(new AppKeys(appId).channelsOf(node))));
    return transitions;
  }
}
