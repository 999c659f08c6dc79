/**
 * The lake's Parquet event files as EventRow JSON lines, the input of the dedupe job
 * (`sluice mr cat events/ | hadoop fs -put - /in/events.jsonl`). Read row by row with
 * parquet-wasm and Arrow vectors value by value: simple, not fast. Every column of the file's schema is in each
 * line, in schema order, null when absent (the reader leaves nulls out); INT64 as numbers.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm/node';

/** `path` itself when a file, else every `*.parquet` under it, sorted by path. */
export async function parquetFiles(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return [path];
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && e.name.endsWith('.parquet')) out.push(p);
    }
  };
  await walk(path);
  return out.sort();
}

/** The rows of one Parquet file as JSON lines (no newline). */
export async function* parquetLines(file: string): AsyncGenerator<string> {
  const table = tableFromIPC(readParquet(await readFile(file)).intoIPCStream());
  const fields = table.schema.fields.map((f) => f.name);
  for (const batch of table.batches) {
    const cols = fields.map((f) => batch.getChild(f)!);
    for (let i = 0; i < batch.numRows; i++) {
      const full: Record<string, unknown> = {};
      for (let c = 0; c < fields.length; c++) {
        const v = cols[c]!.get(i) ?? null;
        // INT64 and times come back as BigInt or numbers; event times, seqs and offsets are safe integers.
        full[fields[c]!] = typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.getTime() : v;
      }
      // Rows of events with an id store no dedupe_key (pipeline/row.ts): it is rebuilt here, as the dedupe job keys on it.
      if (full.dedupe_key === null && typeof full.event_id === 'string') full.dedupe_key = `${full.app_id as string}\u0000${full.device_id as string}\u0000id:${full.event_id}`;
      yield JSON.stringify(full);
    }
  }
}
