/**
 * A load-generator process holding many SSE (`GET /app/{key}/sse?channel=`) or long-poll
 * (`GET /app/{key}/poll`) subscribers, per docs/protocol.md §4 and §5. Deliveries are found by the
 * payload marker in the raw bytes, so neither the SSE framing nor the poll JSON is parsed per event.
 * A target that answers 404 reports it, and the scenario marks the transport "not supported".
 */
import { Agent, type IncomingMessage, request } from 'node:http';
import { findMarker, readSentAt } from '../lib/payload.js';
import { openAll, type SetupEvents } from './opener.js';
import { type ConnectCommand, channelName, type Transport } from './protocol.js';
import { type Delivered, delivered, Recorder } from './recorder.js';
import { runWorker } from './worker-loop.js';

const transport = process.argv[2] as Transport;
const recorder = new Recorder();
const open = new Set<IncomingMessage>();
let dropped = 0;
let closing = false;
const SUBSCRIBED = Buffer.from('subscription_succeeded');

/** Records every marked payload in `chunk`; returns how many subscription confirmations it holds. */
function scan(chunk: Buffer, tracked: Delivered): number {
  for (let at = findMarker(chunk); at >= 0; at = findMarker(chunk, at + 3)) {
    recorder.deliver(readSentAt(chunk, at), tracked);
  }
  let confirmations = 0;
  for (let at = chunk.indexOf(SUBSCRIBED); at >= 0; at = chunk.indexOf(SUBSCRIBED, at + 1)) confirmations++;
  return confirmations;
}

function get(
  command: ConnectCommand,
  i: number,
  path: string,
  agent: Agent | false,
  onResponse: (res: IncomingMessage) => void,
  onError: (err: Error) => void,
): void {
  const url = new URL(command.baseUrl);
  const req = request(
    {
      host: url.hostname,
      port: url.port,
      path,
      agent,
      localAddress: command.localAddresses[i % command.localAddresses.length],
      headers: { accept: transport === 'sse' ? 'text/event-stream' : 'application/json' },
    },
    onResponse,
  );
  req.on('error', onError);
  req.end();
}

function refused(res: IncomingMessage, setup: SetupEvents): boolean {
  if (res.statusCode === 200) return false;
  setup.failed(`HTTP ${res.statusCode} for ${transport}`, res.statusCode);
  res.resume();
  return true;
}

function openSse(command: ConnectCommand, i: number, setup: SetupEvents): void {
  const channel = channelName(command.channels, i);
  const tracked = delivered();
  let ready = false;
  get(
    command,
    i,
    `/app/${command.appKey}/sse?channel=${encodeURIComponent(channel)}`,
    false,
    (res) => {
      if (refused(res, setup)) return;
      open.add(res);
      setup.opened();
      // An event may span two chunks; the marker and its timestamp are near the end of `data:`, so keep
      // the unfinished tail (after the last blank line) for the next chunk.
      let tail: Buffer | null = null;
      res.on('data', (chunk: Buffer) => {
        const buf = tail ? Buffer.concat([tail, chunk]) : chunk;
        const end = buf.lastIndexOf('\n\n');
        if (end < 0) {
          tail = buf;
          return;
        }
        const complete = end + 2 === buf.length ? buf : buf.subarray(0, end + 2);
        tail = end + 2 === buf.length ? null : buf.subarray(end + 2);
        if (scan(complete, tracked) > 0 && !ready) {
          ready = true;
          setup.subscribed();
        }
      });
      res.on('close', () => {
        open.delete(res);
        if (ready && !closing) dropped += 1;
        else setup.failed('stream closed during set-up');
      });
    },
    (err) => setup.failed(err.message),
  );
}

interface PollAnswer {
  session?: string;
  seq?: number;
}

function openPoll(command: ConnectCommand, i: number, setup: SetupEvents, agent: Agent): void {
  const channel = channelName(command.channels, i);
  const tracked = delivered();
  let ready = false;
  let session = '';
  let ack = 0;
  const poll = (path: string) =>
    get(
      command,
      i,
      path,
      agent,
      (res) => {
        if (res.statusCode !== 200) {
          if (!ready) refused(res, setup);
          else if (!closing) dropped += 1;
          res.resume();
          return;
        }
        open.add(res);
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          open.delete(res);
          if (closing) return;
          const body = Buffer.concat(chunks);
          const confirmations = scan(body, tracked);
          const answer = JSON.parse(body.toString()) as PollAnswer;
          if (answer.session) session = answer.session;
          if (typeof answer.seq === 'number') ack = answer.seq;
          if (!ready) {
            setup.opened();
            if (confirmations > 0) {
              ready = true;
              setup.subscribed();
            }
          }
          poll(`/app/${command.appKey}/poll?session=${encodeURIComponent(session)}&ack=${ack}`);
        });
      },
      (err) => {
        if (!ready) setup.failed(err.message);
        else if (!closing) dropped += 1;
      },
    );
  poll(`/app/${command.appKey}/poll?channel=${encodeURIComponent(channel)}`);
}

function connect(command: ConnectCommand): void {
  // One socket per long-poll client: every client has a poll pending at all times.
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  openAll(command, (i, setup) =>
    transport === 'sse' ? openSse(command, i, setup) : openPoll(command, i, setup, agent),
  );
}

runWorker(recorder, {
  connect,
  dropped: () => dropped,
  resetDropped: () => {
    dropped = 0;
  },
  closeAll: () => {
    closing = true;
    for (const res of open) res.destroy();
  },
});
