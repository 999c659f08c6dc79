/** Rows grouped by a small integer key: key k's rows are order[start[k]] to order[start[k + 1] - 1], in row order. */
export interface Groups {
  start: Int32Array;
  order: Int32Array;
}

/**
 * Groups rows 0..n-1 by `key[row]` (0..keys-1) with a counting sort into one array: arrays of
 * boxed numbers per key were 10 % of dedupeApp's self time. Used for partitions and devices.
 */
export function countingSort(key: Int32Array, n: number, keys: number): Groups {
  const start = new Int32Array(keys + 1);
  for (let r = 0; r < n; r++) start[key[r]! + 1]!++;
  for (let k = 0; k < keys; k++) start[k + 1]! += start[k]!;
  const order = new Int32Array(n);
  const fill = start.slice(0, keys);
  for (let r = 0; r < n; r++) order[fill[key[r]!]!++] = r;
  return { start, order };
}
