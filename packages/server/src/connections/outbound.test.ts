import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import * as ws from 'ws';
import { encodeTextFrame, Outbound } from './outbound.js';

// ws exports its Sender and Receiver at run time; @types/ws does not declare them.
interface FrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
}
const { Sender, Receiver } = ws as unknown as {
  Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] };
  Receiver: new (options: { isServer: boolean }) => EventEmitter & { write(chunk: Buffer): void };
};

/** Decodes one server-to-client frame with ws's own parser, as a client would. */
function decode(frame: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const receiver = new Receiver({ isServer: false });
    receiver.on('message', (data: Buffer, isBinary: boolean) => {
      assert.equal(isBinary, false);
      resolve(data.toString());
    });
    receiver.on('error', reject);
    receiver.write(frame);
  });
}

describe('encodeTextFrame', () => {
  for (const length of [0, 1, 125, 126, 127, 65_535, 65_536, 200_000]) {
    it(`frames ${length} bytes exactly as ws does`, async () => {
      const text = 'x'.repeat(length);
      const frame = encodeTextFrame(text);
      const expected = Buffer.concat(
        Sender.frame(Buffer.from(text), { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false }),
      );
      assert.deepEqual(frame, expected);
      assert.equal(await decode(frame), text);
    });
  }

  it('counts UTF-8 bytes, not characters', async () => {
    const text = '{"data":"héllo wörld ✓ 🎉"}';
    assert.equal(await decode(encodeTextFrame(text)), text);
  });
});

describe('Outbound', () => {
  it('builds each format once and shares it', () => {
    const message = new Outbound('{"event":"e","channel":"c","data":"{}"}', undefined, 'c', undefined, 'e');
    assert.equal(message.wsFrame(), message.wsFrame());
    assert.equal(message.sseBlock(), 'event: e\ndata: {"event":"e","channel":"c","data":"{}"}\n\n');
    assert.equal(message.quoted(), JSON.stringify(message.json));
  });

  it('reads the event name from the envelope when it was not given', () => {
    const message = new Outbound('{"event":"pusher:pong","data":{}}');
    assert.equal(message.eventName(), 'pusher:pong');
  });
});
