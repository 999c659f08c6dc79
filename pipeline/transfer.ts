import { isMainThread } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { RowChunk } from './row-columns.js';

/**
 * A worker's result handed back with its buffers moved, not copied: structured clone copies
 * every typed array of every chunk otherwise (onMessage and receiveMessageOnPort were 6% of the
 * pipeline's profile with columns copied both ways). Called in the main thread, the value itself.
 */
export function moveWith<T>(value: T, buffers: Iterable<ArrayBufferLike>): T {
  if (isMainThread) return value;
  return Piscina.move({ [Piscina.transferableSymbol]: [...new Set(buffers)], [Piscina.valueSymbol]: value } as never) as T;
}

/** The buffers of chunks' typed arrays, each once (a chunk's number columns share one; slices are copies), to move them between threads. */
export function chunkBuffers(chunks: readonly RowChunk[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const c of chunks) {
    for (const k in c.str) out.add(c.str[k]!.ids.buffer as ArrayBuffer);
    for (const k in c.int) out.add(c.int[k]!.buffer as ArrayBuffer);
    for (const k in c.text) {
      const t = c.text[k]!;
      out.add(t.bytes.buffer as ArrayBuffer);
      out.add(t.offsets.buffer as ArrayBuffer);
      out.add(t.valid.buffer as ArrayBuffer);
    }
  }
  return [...out];
}
