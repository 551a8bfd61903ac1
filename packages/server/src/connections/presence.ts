/** Presence helpers: room left on a channel, and the member list as `subscription_succeeded` carries it. */
import type { AppConfig } from '../apps/schema.js';
import type { PresenceMember } from '../cluster/adapter.js';
import type { PresenceSnapshot } from '../protocol/messages.js';
import type { Services } from './services.js';

export async function presenceHasRoom(
  services: Services,
  app: AppConfig,
  channel: string,
  member: PresenceMember,
) {
  const members = await services.adapter.presenceMembers(app.id, channel);
  if (members.length < app.limits.maxPresenceMembers) return true;
  return members.some((existing) => String(existing.userId) === String(member.userId));
}

/** Deduplicated by user id, in join order; `hash` maps ids to their `user_info` (null when none). */
export function snapshot(members: PresenceMember[]): PresenceSnapshot {
  const hash: Record<string, unknown> = {};
  const ids: Array<string | number> = [];
  for (const member of members) {
    const key = String(member.userId);
    if (key in hash) continue;
    hash[key] = member.userInfo ?? null;
    ids.push(member.userId);
  }
  return { ids, hash, count: ids.length };
}
