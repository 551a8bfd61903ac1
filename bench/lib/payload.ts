/**
 * The event payload every publisher sends: `data` is the string `bt:<send time ms>:<seq>:<padding>`.
 * It needs no JSON escaping, so it appears verbatim inside the Pusher envelope of every transport
 * (WebSocket frame, SSE `data:` line, long-poll body); a subscriber finds the marker with one native
 * `indexOf` and parses two numbers, instead of JSON-parsing every delivered message.
 */
export const MARKER = 'bt:';
const MARKER_BYTES = Buffer.from(MARKER);
/**
 * What is searched for: the marker at the start of a JSON string (the event's `data`). Without the quote, a
 * PressRelay position whose random epoch happens to end in "bt" (`"position":"k2Jd9abt:0"`) would be taken for a
 * payload, and its subscription_succeeded never counted.
 */
const SEARCH_BYTES = Buffer.from(`"${MARKER}`);
const DOT = 46;
const ZERO = 48;
const NINE = 57;

export function makeData(sentAtMs: number, seq: number, padTo = 0): string {
  const head = `${MARKER}${sentAtMs.toFixed(3)}:${seq}:`;
  return padTo > head.length ? head + 'x'.repeat(padTo - head.length) : head;
}

/** Offset of the marker in a received message, or -1. */
export function findMarker(message: Buffer, from = 0): number {
  const quote = message.indexOf(SEARCH_BYTES, from > 0 ? from - 1 : 0);
  return quote < 0 ? -1 : quote + 1;
}

/** The decimal number starting at `pos` (digits and one dot), NaN if none. */
export function readNumber(message: Buffer, pos: number): number {
  let int = 0;
  let frac = 0;
  let scale = 1;
  let digits = 0;
  let seenDot = false;
  for (let i = pos; i < message.length; i++) {
    const c = message[i]!;
    if (c >= ZERO && c <= NINE) {
      digits++;
      if (seenDot) {
        scale /= 10;
        frac += (c - ZERO) * scale;
      } else {
        int = int * 10 + (c - ZERO);
      }
    } else if (c === DOT && !seenDot) {
      seenDot = true;
    } else {
      break;
    }
  }
  return digits === 0 ? Number.NaN : int + frac;
}

/** Send time (ms) of the payload whose marker is at `markerAt`. */
export function readSentAt(message: Buffer, markerAt: number): number {
  return readNumber(message, markerAt + MARKER_BYTES.length);
}

/** Sequence number of the payload whose marker is at `markerAt`. */
export function readSeq(message: Buffer, markerAt: number): number {
  const colon = message.indexOf(58, markerAt + MARKER_BYTES.length);
  return colon < 0 ? Number.NaN : readNumber(message, colon + 1);
}
