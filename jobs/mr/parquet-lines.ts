/**
 * The lake's Parquet event files as EventRow JSON lines, the input of the dedupe job
 * (`sluice mr cat events/ | hadoop fs -put - /in/events.jsonl`). Read row by row with
 * parquetjs-lite's cursor: simple, not fast. Every column of the file's schema is in each
 * line, in schema order, null when absent (the reader leaves nulls out); INT64 as numbers.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import parquet from 'parquetjs-lite';

interface Cursor {
  next(): Promise<Record<string, unknown> | null>;
}
interface Reader {
  getCursor(): Cursor;
  getSchema(): { fieldList: { name: string }[] };
  close(): Promise<void>;
}
/** The reader half of parquetjs-lite (types/parquetjs-lite.d.ts declares the writer half). */
const { ParquetReader } = parquet as unknown as { ParquetReader: { openFile(path: string): Promise<Reader> } };

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
  const reader = await ParquetReader.openFile(file);
  try {
    const fields = reader.getSchema().fieldList.map((f) => f.name);
    const cursor = reader.getCursor();
    for (let row = await cursor.next(); row !== null; row = await cursor.next()) {
      const full: Record<string, unknown> = {};
      for (const f of fields) {
        const v = row[f] ?? null;
        // INT64 columns come back as BigInt; event times, seqs and offsets are safe integers.
        full[f] = typeof v === 'bigint' ? Number(v) : v;
      }
      yield JSON.stringify(full);
    }
  } finally {
    await reader.close();
  }
}
