/**
 * Stream positions (PressRelay extension, docs/protocol.md): every channel is a stream with an `epoch`, chosen at
 * random when the stream is created or its history is lost, and a `serial` (1, 2, 3, … per channel).
 * On the wire a position is the string `epoch:serial`. An epoch never contains `:` or `,`.
 */

export interface Position {
  readonly epoch: string;
  readonly serial: number;
}

const EPOCH_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export function formatPosition(position: Position): string {
  return `${position.epoch}:${position.serial}`;
}

/** Parses `epoch:serial`; returns null for anything malformed. */
export function parsePosition(text: unknown): Position | null {
  if (typeof text !== 'string') return null;
  const separator = text.lastIndexOf(':');
  if (separator <= 0) return null;
  const epoch = text.slice(0, separator);
  const serialText = text.slice(separator + 1);
  if (!EPOCH_PATTERN.test(epoch) || !/^\d{1,15}$/.test(serialText)) return null;
  return { epoch, serial: Number(serialText) };
}

/** Why a resume could not be served. */
export type RecoveryFailure =
  /** The stream was recreated (server restart, history lost or evicted): positions from before mean nothing. */
  | 'epoch_changed'
  /** Events after the position have already left the history (count or age limit). */
  | 'too_old'
  /** The position is ahead of the stream: it was never issued by this stream. */
  | 'invalid_position';

/**
 * An SSE event id carries the position of every channel of the stream, in the order the channels were given in
 * the URL: `epoch:serial,epoch:serial,...` (an empty entry for a channel with no position yet). It lets a bare
 * `EventSource` resume every channel from its `Last-Event-ID` after a drop.
 */
export function encodeStreamId(positions: ReadonlyArray<Position | null>): string {
  return positions.map((position) => (position ? formatPosition(position) : '')).join(',');
}

export function decodeStreamId(id: string, channelCount: number): Array<Position | null> {
  const parts = id.split(',');
  const positions: Array<Position | null> = [];
  for (let index = 0; index < channelCount; index++) {
    positions.push(parsePosition(parts[index]));
  }
  return positions;
}
