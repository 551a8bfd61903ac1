/**
 * Typed request/reply over a child's IPC channel. Messages are plain objects with a `type`; a reply
 * is the first message whose `type` matches the expected one.
 */
import type { ChildProcess } from 'node:child_process';

export interface Message {
  type: string;
}

export function send(child: ChildProcess, message: Message): void {
  if (child.connected) child.send(message);
}

export function nextMessage<T extends Message>(
  child: ChildProcess,
  type: T['type'],
  timeoutMs: number,
  what = type,
): Promise<T> {
  return new Promise((done, fail) => {
    const onMessage = (message: Message) => {
      if (message && message.type === type) {
        cleanup();
        done(message as T);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      fail(new Error(`${what}: process exited (${code}) before replying`));
    };
    const timer = setTimeout(() => {
      cleanup();
      fail(new Error(`${what}: no reply within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

export function request<T extends Message>(
  child: ChildProcess,
  message: Message,
  replyType: T['type'],
  timeoutMs: number,
): Promise<T> {
  const reply = nextMessage<T>(child, replyType, timeoutMs, `${message.type}→${replyType}`);
  send(child, message);
  return reply;
}

/** In a worker: exit when the parent goes away, so no load generator outlives the runner. */
export function exitWithParent(): void {
  process.on('disconnect', () => process.exit(0));
}

export function reply(message: Message): void {
  process.send?.(message);
}
