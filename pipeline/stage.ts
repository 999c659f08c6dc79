/**
 * SEDA plumbing: bounded queues between stages, and stages that run a handler with a fixed
 * concurrency. A full queue makes `put` wait, so a slow stage slows the one before it, all
 * the way back to the reader: memory stays bounded whatever the input size.
 */
export class BoundedQueue<T> {
  private readonly items: T[] = [];
  private readonly takers: ((v: T | undefined) => void)[] = [];
  private readonly putters: (() => void)[] = [];
  private closed = false;
  private aborted: Error | null = null;

  constructor(readonly capacity: number) {}

  /** Fails every waiting and later put and take: a stage that failed must not leave others blocked. */
  abort(err: Error): void {
    this.aborted = err;
    this.closed = true;
    for (const t of this.takers.splice(0)) t(undefined);
    for (const p of this.putters.splice(0)) p();
  }

  get depth(): number {
    return this.items.length;
  }

  async put(item: T): Promise<void> {
    while (this.items.length >= this.capacity && this.aborted === null) await new Promise<void>((r) => this.putters.push(r));
    if (this.aborted) throw this.aborted;
    const taker = this.takers.shift();
    if (taker) taker(item);
    else this.items.push(item);
  }

  /** The next item, or undefined once the queue is closed and empty. */
  async take(): Promise<T | undefined> {
    if (this.aborted) return undefined;
    const item = this.items.shift();
    if (item !== undefined) {
      this.putters.shift()?.();
      return item;
    }
    if (this.closed) return undefined;
    return new Promise<T | undefined>((r) => this.takers.push(r));
  }

  close(): void {
    this.closed = true;
    for (const t of this.takers.splice(0)) t(undefined);
  }
}

export interface StageStats {
  name: string;
  concurrency: number;
  items: number;
  busyMs: number;
  queue: BoundedQueue<unknown> | null;
}

/**
 * Runs `concurrency` loops that take from `input`, apply `fn`, and put the result on
 * `output`; closes `output` when `input` is drained. Errors stop the stage and reject.
 */
export async function runStage<I, O>(stats: StageStats, input: BoundedQueue<I>, output: BoundedQueue<O> | null, fn: (item: I) => Promise<O>): Promise<void> {
  const loop = async (): Promise<void> => {
    for (let item = await input.take(); item !== undefined; item = await input.take()) {
      const t0 = performance.now();
      const out = await fn(item);
      stats.busyMs += performance.now() - t0;
      stats.items++;
      if (output) await output.put(out);
    }
  };
  try {
    await Promise.all(Array.from({ length: stats.concurrency }, loop));
  } finally {
    output?.close();
  }
}
