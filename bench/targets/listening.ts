import type { Readable } from 'node:stream';

/** Waits for the `{"msg":"listening",...,"port":N}` line the servers print once they accept connections. */
export function waitForListening(stdout: Readable, timeoutMs: number): Promise<number> {
  return new Promise((done, fail) => {
    let output = '';
    const timer = setTimeout(() => {
      stdout.off('data', onData);
      fail(new Error(`no "listening" line within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"msg":"listening"[^\n]*?"port":(\d+)|"port":(\d+)[^\n]*?"msg":"listening"/.exec(output);
      if (match) {
        clearTimeout(timer);
        stdout.off('data', onData);
        stdout.resume(); // keep draining whatever the server prints later
        done(Number(match[1] ?? match[2]));
      }
    };
    stdout.on('data', onData);
  });
}
