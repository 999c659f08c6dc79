/**
 * A slow client (slowloris): opens a TCP connection, sends `head` and then one byte of `trickle`
 * every `everyMs`, and answers how long the server kept the connection open and what it said.
 * Bounded: it gives up (and reports `closedByServer: false`) after `giveUpMs`.
 */
import { connect } from 'node:net';

export interface SlowResult {
  closedByServer: boolean;
  ms: number;
  answer: string;
}

export function slowClient(url: string, head: string, trickle: string, everyMs: number, giveUpMs: number): Promise<SlowResult> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const t0 = performance.now();
    const sock = connect(Number(u.port), u.hostname);
    let answer = '';
    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    const done = (closedByServer: boolean) => {
      clearInterval(timer);
      clearTimeout(giveUp);
      sock.destroy();
      resolve({ closedByServer, ms: performance.now() - t0, answer });
    };
    const giveUp = setTimeout(() => done(false), giveUpMs);
    sock.on('connect', () => {
      sock.write(head);
      timer = setInterval(() => {
        if (i < trickle.length) sock.write(trickle[i++]!);
      }, everyMs);
    });
    sock.on('data', (d: Buffer) => (answer += d.toString()));
    sock.on('close', () => done(true));
    sock.on('error', () => done(true));
  });
}
