/** The member list of a presence channel, shaped like pusher-js's `channel.members`. */
export interface Member {
  id: string;
  info: unknown;
}

export class Members {
  /** How many distinct users are subscribed. */
  count = 0;
  /** This connection's user id on the channel. */
  myID: string | null = null;
  /** This connection's member, once subscribed. */
  me: Member | null = null;
  private members = new Map<string, unknown>();

  get(id: string | number): Member | null {
    const key = String(id);
    return this.members.has(key) ? { id: key, info: this.members.get(key) } : null;
  }

  each(callback: (member: Member) => void): void {
    for (const [id, info] of this.members) callback({ id, info });
  }

  /** @internal `presence` of `subscription_succeeded`: `{ids, hash, count}`. */
  reset(presence: unknown): void {
    const { hash } = (presence ?? {}) as { hash?: Record<string, unknown> };
    this.members = new Map(Object.entries(hash ?? {}));
    this.count = this.members.size;
    this.me = this.myID === null ? null : this.get(this.myID);
  }

  /** @internal Returns the member when it is new to the channel. */
  add(data: { user_id?: unknown; user_info?: unknown }): Member | null {
    if (data.user_id === undefined || data.user_id === null) return null;
    const id = String(data.user_id);
    const isNew = !this.members.has(id);
    this.members.set(id, data.user_info);
    if (isNew) this.count++;
    return isNew ? { id, info: data.user_info } : null;
  }

  /** @internal Returns the member that left, if it was known. */
  remove(data: { user_id?: unknown }): Member | null {
    const id = String(data.user_id);
    if (!this.members.has(id)) return null;
    const info = this.members.get(id);
    this.members.delete(id);
    this.count--;
    return { id, info };
  }

  /** @internal The members as a map (id → info). */
  snapshot(): Map<string, unknown> {
    return new Map(this.members);
  }

  /** @internal */
  clear(): void {
    this.members = new Map();
    this.count = 0;
    this.me = null;
  }
}
