/**
 * A bare protocol-level WebSocket client for tests: sends frames, collects every parsed message, and waits for
 * the ones a test expects (always with a timeout).
 */
import WebSocket from 'ws';

export interface Envelope {
  event: string;
  channel?: string;
  data?: unknown;
  position?: string;
  id?: string;
  user_id?: string | number;
}

export class RawClient {
  readonly messages: Envelope[] = [];
  private readonly waiters: Array<() => void> = [];
  closeCode: number | null = null;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()) as Envelope);
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('close', (code) => {
      this.closeCode = code;
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async connect(url: string, options: WebSocket.ClientOptions = {}): Promise<RawClient> {
    const socket = new WebSocket(url, options);
    const client = new RawClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The parsed `data` of a `pusher:*` message (a JSON string on the wire). */
  static data<T = Record<string, unknown>>(message: Envelope): T {
    return (typeof message.data === 'string' ? JSON.parse(message.data) : message.data) as T;
  }

  async socketId(): Promise<string> {
    const established = await this.waitFor((m) => m.event === 'pusher:connection_established');
    return RawClient.data<{ socket_id: string }>(established).socket_id;
  }

  /** Resolves with the first message (from the start) matching `match` that has not been taken yet. */
  async waitFor(match: (message: Envelope) => boolean, timeoutMs = 5000): Promise<Envelope> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      if (this.closeCode !== null) throw new Error(`closed (${this.closeCode}) before the expected message`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; got ${JSON.stringify(this.messages.map((m) => m.event))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async waitForCount(
    match: (message: Envelope) => boolean,
    count: number,
    timeoutMs = 5000,
  ): Promise<Envelope[]> {
    await this.waitFor(() => this.messages.filter(match).length >= count, timeoutMs);
    return this.messages.filter(match);
  }

  async waitForClose(timeoutMs = 5000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.closeCode === null && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    if (this.closeCode === null) throw new Error('socket did not close in time');
    return this.closeCode;
  }

  close(): void {
    this.socket.close();
  }
}
