/**
 * A tiny event emitter shared by the connection and channels: `bind(event, callback)`, `unbind(...)`. A callback
 * that throws does not stop delivery to the others or break the client: the error is rethrown asynchronously,
 * so it still reaches the console and `window.onerror`.
 */

/** Metadata passed as the second argument to channel event callbacks. */
export interface EventMeta {
  channel?: string;
  event?: string;
  /** The event's stream position (`epoch:serial`), when the server sent one. */
  position?: string;
  /** The publisher's event id: for events published through WordPress, their WordPress position. */
  id?: string;
  /** On presence channels, the user id of a client event's sender. */
  user_id?: string | number;
}

// Declared as a method so callbacks may annotate `data` with their own type (method parameters are bivariant).
type CallbackHolder = { callback(data: unknown, meta: EventMeta): void };
export type Callback = CallbackHolder['callback'];

export class Emitter {
  private readonly callbacks = new Map<string, Callback[]>();

  bind(event: string, callback: Callback): this {
    const list = this.callbacks.get(event);
    if (list) list.push(callback);
    else this.callbacks.set(event, [callback]);
    return this;
  }

  /** Removes one callback, every callback of an event, or (no arguments) every callback. */
  unbind(event?: string, callback?: Callback): this {
    if (event === undefined) this.callbacks.clear();
    else if (callback === undefined) this.callbacks.delete(event);
    else {
      const list = this.callbacks.get(event)?.filter((existing) => existing !== callback);
      if (list?.length) this.callbacks.set(event, list);
      else this.callbacks.delete(event);
    }
    return this;
  }

  /** @internal */
  emit(event: string, data?: unknown, meta: EventMeta = {}): void {
    const list = this.callbacks.get(event);
    if (!list) return;
    for (const callback of [...list]) {
      try {
        callback(data, meta);
      } catch (error) {
        setTimeout(() => {
          throw error;
        });
      }
    }
  }
}
