/**
 * Builds a complete unmasked WebSocket text frame once, with ws's own framer, so it can be written
 * as-is to any number of sockets. `Sender` is public in ws but missing from @types/ws
 * (exported by ws's ESM wrapper as a named export).
 */
import * as ws from 'ws';

interface FrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
}
type Framer = { frame(data: Buffer, options: FrameOptions): Buffer[] };

const Sender = (ws as unknown as { Sender: Framer }).Sender;
const TEXT = { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false };

export function textFrame(json: string): Buffer {
  return Buffer.concat(Sender.frame(Buffer.from(json), TEXT));
}
