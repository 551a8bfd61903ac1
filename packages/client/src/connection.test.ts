/**
 * The connection's state machine with a scripted WebSocket (the constructor is the client's injection point):
 * fallback order, backoff on repeated failures, close codes, ping when idle, dead connections.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { Connection, type ConnectionOptions } from './connection.js';
import type { Envelope } from './transports/types.js';
import { endpoints } from './urls.js';

type Script = (socket: ScriptedSocket) => void;

/** A WebSocket whose server side is a script: it can open, send frames and close. */
class ScriptedSocket {
  static script: Script = () => {};
  static instances: ScriptedSocket[] = [];
  readyState = 0;
  sent: Envelope[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(readonly url: string) {
    ScriptedSocket.instances.push(this);
    setTimeout(() => ScriptedSocket.script(this), 0);
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(envelope: Envelope): void {
    this.onmessage?.({ data: JSON.stringify(envelope) });
  }

  establish(activityTimeout = 120): void {
    this.open();
    this.receive({
      event: 'pusher:connection_established',
      data: JSON.stringify({ socket_id: '1.2', activity_timeout: activityTimeout }),
    });
  }

  /** The server closes the socket. */
  drop(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Envelope);
  }

  close(): void {
    this.readyState = 3;
  }
}

const connections: Connection[] = [];

function connection(options: Partial<ConnectionOptions> = {}) {
  const connected: number[] = [];
  const created = new Connection(
    {
      endpoints: endpoints('http://127.0.0.1:1', 'key'),
      transports: ['ws'],
      WebSocket: ScriptedSocket,
      EventSource: undefined,
      fetch: undefined,
      backoff: { baseMs: 50, maxMs: 400 },
      activityTimeoutMs: 120_000,
      pongTimeoutMs: 30_000,
      connectTimeoutMs: 1000,
      unavailableTimeoutMs: 10_000,
      wsRetryMs: 30_000,
      ...options,
    },
    {
      urlChannels: () => [],
      eventNames: () => [],
      connected: () => connected.push(Date.now()),
      message: () => {},
    },
  );
  connections.push(created);
  return { connection: created, connected };
}

const sleep = (ms: number) => new Promise((resume) => setTimeout(resume, ms));

afterEach(() => {
  for (const created of connections.splice(0)) created.disconnect();
  ScriptedSocket.instances = [];
  ScriptedSocket.script = () => {};
});

test('states: initialized → connecting → connected; disconnect() → disconnected', async () => {
  ScriptedSocket.script = (socket) => socket.establish();
  const { connection: subject } = connection();
  const states: string[] = [subject.state];
  subject.bind('state_change', (change) => states.push((change as { current: string }).current));
  subject.connect();
  await sleep(20);
  assert.equal(subject.socketId, '1.2');
  assert.equal(subject.transport, 'ws');
  subject.disconnect();
  assert.deepEqual(states, ['initialized', 'connecting', 'connected', 'disconnected']);
  assert.equal(subject.socketId, null);
});

test('a server that accepts and then closes with 4200 at once is retried with growing, jittered delays', async () => {
  ScriptedSocket.script = (socket) => {
    socket.establish();
    setTimeout(() => socket.drop(4200, 'reconnect'), 1);
  };
  const { connection: subject, connected } = connection();
  subject.connect();
  await sleep(600);
  // Without backoff this would loop hundreds of times; with base 50 ms doubling to 400 ms, a handful.
  assert.ok(connected.length >= 3, `reconnected ${connected.length} times`);
  assert.ok(connected.length <= 15, `reconnected ${connected.length} times: no backoff?`);
  const gaps = connected.slice(1).map((time, index) => time - connected[index]!);
  assert.ok(gaps.at(-1)! > 0, `gaps ${gaps}`);
});

test('4000-4099 is refused: no reconnect, state disconnected, an error event with the code', async () => {
  ScriptedSocket.script = (socket) => {
    socket.open();
    socket.receive({ event: 'pusher:error', data: { code: 4001, message: 'Application does not exist' } });
    socket.drop(4001);
  };
  const { connection: subject } = connection();
  const errors: unknown[] = [];
  subject.bind('error', (error) => errors.push(error));
  subject.connect();
  await sleep(200);
  assert.equal(subject.state, 'disconnected');
  assert.equal(ScriptedSocket.instances.length, 1);
  assert.deepEqual(errors, [{ code: 4001, message: 'Application does not exist' }]);
});

test('a socket that never completes the handshake times out and is retried', async () => {
  ScriptedSocket.script = (socket) => {
    if (ScriptedSocket.instances.length === 1)
      socket.open(); // silent: no connection_established
    else socket.establish();
  };
  const { connection: subject } = connection({ connectTimeoutMs: 100 });
  subject.connect();
  await sleep(400);
  assert.equal(subject.state, 'connected');
  assert.equal(ScriptedSocket.instances.length, 2);
});

test('idle: pings after the (server-capped) activity timeout; no answer means dead, and it reconnects', async () => {
  ScriptedSocket.script = (socket) => {
    socket.establish(120);
    if (ScriptedSocket.instances.length === 1) return; // the first server never answers pings
    const send = socket.send.bind(socket);
    socket.send = (data: string) => {
      send(data);
      if (JSON.parse(data).event === 'pusher:ping') socket.receive({ event: 'pusher:pong', data: '{}' });
    };
  };
  const { connection: subject, connected } = connection({ activityTimeoutMs: 50, pongTimeoutMs: 50 });
  subject.connect();
  await sleep(400);
  const [first, second] = ScriptedSocket.instances;
  assert.ok(first && second, 'a second socket after the unanswered ping');
  assert.deepEqual(first.sent[0], { event: 'pusher:ping', data: {} });
  assert.ok(
    second.sent.filter((message) => message.event === 'pusher:ping').length >= 2,
    'keeps pinging when idle',
  );
  assert.equal(ScriptedSocket.instances.length, 2, 'answered pings keep the connection');
  assert.equal(connected.length, 2);
});

test('answers server pings with pong', async () => {
  ScriptedSocket.script = (socket) => {
    socket.establish();
    socket.receive({ event: 'pusher:ping', data: {} });
  };
  const { connection: subject } = connection();
  subject.connect();
  await sleep(30);
  assert.deepEqual(ScriptedSocket.instances[0]!.sent, [{ event: 'pusher:pong', data: {} }]);
});

test('unavailable after the unavailable timeout without a connection', async () => {
  ScriptedSocket.script = (socket) => socket.drop(1006);
  const { connection: subject } = connection({ unavailableTimeoutMs: 100 });
  subject.connect();
  await sleep(50);
  assert.equal(subject.state, 'connecting');
  await sleep(150);
  assert.equal(subject.state, 'unavailable');
  assert.ok(ScriptedSocket.instances.length >= 2, 'keeps retrying');
});
