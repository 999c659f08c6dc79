import { createLake } from '../lake/create-lake.js';
import type { Lake } from '../lake/lake.js';
import type { LakeOptions } from '../lake/options.js';
import { aggregateApp, type AggregateAppTask, type AggregateAppResult } from './aggregate-app.js';
import { dedupeApp, type DedupeAppTask, type DedupeAppResult } from './dedupe-app.js';
import { packFacts, type PackedFacts } from './packed-facts.js';

export type WorkerTask = { kind: 'dedupe'; lake: Partial<LakeOptions>; task: DedupeAppTask } | { kind: 'aggregate'; lake: Partial<LakeOptions>; task: AggregateAppTask };
/** An aggregation result as it crosses threads: the facts packed in columns (packed-facts.ts). */
export type PackedAggregateResult = Omit<AggregateAppResult, 'facts'> & { packed: PackedFacts };

const lakes = new Map<string, Lake>();

/** Piscina entry: one app's dedupe or aggregation, on a lake opened once per thread. */
export default async function run(t: WorkerTask | { kind: 'warm' }): Promise<DedupeAppResult | PackedAggregateResult | null> {
  // A warm-up call loads the modules before timing starts.
  if (t.kind === 'warm') return null;
  const key = JSON.stringify(t.lake);
  let lake = lakes.get(key);
  if (!lake) lakes.set(key, (lake = createLake(t.lake, 'jobs')));
  if (t.kind === 'dedupe') return dedupeApp(t.task, lake);
  const { facts, ...rest } = await aggregateApp(t.task, lake);
  // Typed arrays clone as one copy of their memory each.
  return { ...rest, packed: packFacts(facts) };
}
