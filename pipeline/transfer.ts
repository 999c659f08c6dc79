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

/** The buffers of chunks' typed arrays (each its own; slices are copies), to move them between threads. */
export function* chunkBuffers(chunks: readonly RowChunk[]): Generator<ArrayBuffer> {
  for (const c of chunks) {
    for (const k in c.str) yield c.str[k]!.ids.buffer as ArrayBuffer;
    for (const k in c.int) yield c.int[k]!.buffer as ArrayBuffer;
    for (const k in c.text) {
      const t = c.text[k]!;
      yield t.bytes.buffer as ArrayBuffer;
      yield t.offsets.buffer as ArrayBuffer;
      yield t.valid.buffer as ArrayBuffer;
    }
  }
}
