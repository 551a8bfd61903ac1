/**
 * Declarative, cache-safe DOM bindings. An element such as
 * `<span data-pressrelay-channel="seats-A12" data-pressrelay-event="seats-changed" data-pressrelay-field="seats_left">12</span>`
 * keeps the baseline the (possibly cached) page was rendered with until a live event overwrites it. Only
 * `textContent` is ever set, never HTML from the wire. Elements are looked up when an event arrives, so elements
 * added later are updated too; a MutationObserver subscribes channels that appear later.
 * `data-pressrelay-position="epoch:serial"` (optional) is the baseline's position: the channel resumes from it,
 * so events published between rendering and loading the page are replayed.
 */
import type { Client } from './client.js';

const CHANNEL = 'data-pressrelay-channel';
const EVENT = 'data-pressrelay-event';
const FIELD = 'data-pressrelay-field';
const POSITION = 'data-pressrelay-position';
const SELECTOR = `[${CHANNEL}][${EVENT}]`;

/** Follows a dot path (`order.items.0.name`) into parsed event data; undefined when any step is missing. */
export function lookupPath(data: unknown, path: string | null | undefined): unknown {
  if (path === null || path === undefined || path === '') return data;
  let value = data;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** The text to show for a value, or null when it is not text (objects, arrays, null, NaN…). */
export function textOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

export interface DomBinding {
  /** Binds elements added since the last scan (the MutationObserver calls it by itself). */
  scan(): void;
  /** Stops observing and unbinds the event callbacks it added. */
  stop(): void;
}

export function bindDom(client: Client, root: ParentNode & Node = document): DomBinding {
  const bound = new Map<string, { channel: string; event: string; callback: (data: unknown) => void }>();

  const update = (channel: string, event: string, data: unknown) => {
    const elements = root.querySelectorAll(SELECTOR);
    for (let index = 0; index < elements.length; index++) {
      const element = elements[index]!;
      if (element.getAttribute(CHANNEL) !== channel || element.getAttribute(EVENT) !== event) continue;
      const text = textOf(lookupPath(data, element.getAttribute(FIELD)));
      if (text !== null && element.textContent !== text) element.textContent = text;
    }
  };

  const scan = () => {
    const elements = root.querySelectorAll(SELECTOR);
    for (let index = 0; index < elements.length; index++) {
      const element = elements[index]!;
      const channel = element.getAttribute(CHANNEL)!;
      const event = element.getAttribute(EVENT)!;
      const key = `${channel}\n${event}`;
      if (!channel || !event || bound.has(key)) continue;
      let subscription: ReturnType<Client['subscribe']>;
      try {
        subscription = client.subscribe(channel, { resumeFrom: element.getAttribute(POSITION) ?? undefined });
      } catch (error) {
        console.warn(`PressRelay: ${(error as Error).message}`);
        bound.set(key, { channel, event, callback: () => {} });
        continue;
      }
      const callback = (data: unknown) => update(channel, event, data);
      subscription.bind(event, callback);
      bound.set(key, { channel, event, callback });
    }
  };

  let pending = false;
  const observer =
    typeof MutationObserver === 'function'
      ? new MutationObserver(() => {
          if (pending) return;
          pending = true;
          queueMicrotask(() => {
            pending = false;
            scan();
          });
        })
      : null;
  observer?.observe(root, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: [CHANNEL, EVENT],
  });
  scan();

  return {
    scan,
    stop() {
      observer?.disconnect();
      for (const { channel, event, callback } of bound.values())
        client.channel(channel)?.unbind(event, callback);
      bound.clear();
    },
  };
}
