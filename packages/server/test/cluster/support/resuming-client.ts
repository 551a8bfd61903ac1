/**
 * A protocol-level client that fails over the way the PressRelay client does (docs/protocol.md 2.4): it keeps the
 * last position per channel, and whenever its connection drops it connects to the next node of its list and
 * subscribes with `resume_from`. It records every channel event and every `subscription_succeeded` answer, so a
 * test can check that nothing was lost or duplicated and see what each resume reported.
 */
import WebSocket from 'ws';

export interface ChannelEvent {
  event: string;
  channel: string;
  data: string;
  position?: string;
}

export interface Resume {
  channel: string;
  node: number;
  position: string;
  recovered?: boolean;
  reason?: string;
  missed?: number;
}

const RETRY_MS = 150;

export class ResumingClient {
  readonly events: ChannelEvent[] = [];
  readonly resumes: Resume[] = [];
  readonly closeCodes: number[] = [];
  /** Last position per channel (rule 2.4). */
  readonly last = new Map<string, string>();
  private socket: WebSocket | null = null;
  private stopped = false;
  private subscribedNow = new Set<string>();

  constructor(
    /** `ws://host:port` of each node, tried in turn from `node`. */
    private readonly nodes: string[],
    private readonly key: string,
    private readonly channels: string[],
    public node = 0,
  ) {}

  /** Connects and waits until every channel is subscribed. */
  async start(timeoutMs = 5_000): Promise<void> {
    this.connect();
    await this.waitUntil(() => this.isSubscribed(), timeoutMs, 'subscribed');
  }

  isSubscribed(): boolean {
    return this.subscribedNow.size === this.channels.length;
  }

  eventsOn(channel: string): ChannelEvent[] {
    return this.events.filter((event) => event.channel === channel);
  }

  async waitUntil(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline)
        throw new Error(`client (node ${this.node}): not ${what} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  stop(): void {
    this.stopped = true;
    this.socket?.terminate();
  }

  private connect(): void {
    if (this.stopped) return;
    this.subscribedNow.clear();
    const socket = new WebSocket(`${this.nodes[this.node]}/app/${this.key}?protocol=7`);
    this.socket = socket;
    socket.on('message', (data) => this.onMessage(socket, data.toString()));
    socket.on('error', () => {});
    socket.on('close', (code) => {
      if (this.socket !== socket || this.stopped) return;
      this.subscribedNow.clear();
      this.closeCodes.push(code);
      this.node = (this.node + 1) % this.nodes.length;
      setTimeout(() => this.connect(), RETRY_MS);
    });
  }

  private subscribe(socket: WebSocket, channel: string): void {
    const resumeFrom = this.last.get(channel);
    socket.send(
      JSON.stringify({
        event: 'pusher:subscribe',
        data: resumeFrom ? { channel, resume_from: resumeFrom } : { channel },
      }),
    );
  }

  private onMessage(socket: WebSocket, text: string): void {
    const message = JSON.parse(text) as ChannelEvent & { data: unknown };
    switch (message.event) {
      case 'pusher:connection_established':
        for (const channel of this.channels) this.subscribe(socket, channel);
        return;
      case 'pusher_internal:subscription_succeeded': {
        const reply = JSON.parse(message.data as string) as Omit<Resume, 'channel' | 'node'>;
        if (this.last.has(message.channel))
          this.resumes.push({ channel: message.channel, node: this.node, ...reply });
        if (reply.recovered !== true) this.last.set(message.channel, reply.position);
        this.subscribedNow.add(message.channel);
        return;
      }
      case 'pusher:subscription_error':
        // The node cannot serve the channel right now (503): try again shortly.
        setTimeout(
          () => socket.readyState === WebSocket.OPEN && this.subscribe(socket, message.channel),
          RETRY_MS,
        );
        return;
    }
    if (message.event.startsWith('pusher')) return;
    this.events.push(message as ChannelEvent);
    if (message.position) this.last.set(message.channel, message.position);
  }
}
