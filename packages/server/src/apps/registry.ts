/** Looks apps up by key (connections) and by id (HTTP API). */
import type { AppConfig } from './schema.js';

export class AppRegistry {
  private readonly byKey = new Map<string, AppConfig>();
  private readonly byId = new Map<string, AppConfig>();

  constructor(apps: readonly AppConfig[]) {
    for (const app of apps) {
      this.byKey.set(app.key, app);
      this.byId.set(app.id, app);
    }
  }

  findByKey(key: string): AppConfig | undefined {
    return this.byKey.get(key);
  }

  findById(id: string): AppConfig | undefined {
    return this.byId.get(id);
  }

  all(): IterableIterator<AppConfig> {
    return this.byId.values();
  }
}

/** Matches an Origin header against an allow-list entry; `*` matches any run of characters. */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined || allowed.includes('*')) return true;
  return allowed.some((pattern) => {
    if (!pattern.includes('*')) return pattern === origin;
    const regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`);
    return regex.test(origin);
  });
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
