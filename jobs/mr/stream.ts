/**
 * One phase of a job as a Hadoop Streaming task: lines from `input`, `key<TAB>value` lines to
 * `output`. Output is written in chunks; when the output's buffer is full, reading waits for
 * 'drain', so memory stays bounded whatever the sizes.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { MrJob, MrPhase } from './mr-job.js';
import { mapLines, Reducer } from './phases.js';

const CHUNK = 64 * 1024;

interface StreamStats {
  linesIn: number;
  linesOut: number;
}

export async function streamPhase(job: MrJob, phase: MrPhase, input: Readable, output: Writable): Promise<StreamStats> {
  const stats: StreamStats = { linesIn: 0, linesOut: 0 };
  let buf: string[] = [];
  let size = 0;
  const out = (line: string) => {
    buf.push(line, '\n');
    size += line.length + 1;
    stats.linesOut++;
  };
  const flush = async () => {
    if (buf.length === 0) return;
    const text = buf.join('');
    buf = [];
    size = 0;
    if (!output.write(text)) await once(output, 'drain');
  };
  const reducer = phase === 'reduce' ? new Reducer(job, out) : null;
  const rl = createInterface({ input, crlfDelay: Infinity });
  for await (const line of rl) {
    stats.linesIn++;
    if (reducer) reducer.push(line);
    else mapLines(job, [line], out);
    if (size >= CHUNK) await flush();
  }
  reducer?.end();
  await flush();
  return stats;
}
