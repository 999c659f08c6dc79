/**
 * Workflows: DAGs of named steps. A run takes the workflow's lock in the report store (one
 * run at a time per partition, across processes and machines), runs the steps in an order
 * that respects their dependencies, retries a failed step with exponential backoff, renews
 * the lock between steps, and records the run and each step (duration, rows, error) in the
 * store's run history.
 */
import type { Logger } from '../common/logger.js';
import type { FactStore } from '../store/facts.js';
import { JobError } from './errors.js';

/** A value one step hands to the steps after it; the key carries its type, so the reader needs no cast. */
export class Handoff<T> {
  declare readonly type?: T;
  constructor(readonly name: string) {}
}

/** A step's explicit inputs (what earlier steps handed over) and outputs (what it hands on). */
export class StepIO {
  readonly #values = new Map<Handoff<unknown>, unknown>();
  put<T>(h: Handoff<T>, value: T): void {
    this.#values.set(h, value);
  }
  take<T>(h: Handoff<T>): T {
    if (!this.#values.has(h)) throw new JobError('JOB_ERR_UNKNOWN_WORKFLOW', `no earlier step handed over ${h.name}: check the workflow's order`);
    return this.#values.get(h) as T;
  }
}

interface Step<C> {
  name: string;
  /** Steps that must finish first. */
  after: string[];
  /** Does the work; answers the rows it handled (for the run history). Reads and writes handoffs through `io`. */
  run(ctx: C, io: StepIO): Promise<number>;
}

export interface Workflow<C> {
  name: string;
  description: string;
  steps: Step<C>[];
}

interface RunOptions {
  store: FactStore;
  log: Logger;
  /** Who holds the lock (host:pid:random). */
  owner: string;
  /** Lock key: the workflow and what it works on, e.g. `events` or `events:2026-01-05..2026-01-07`. */
  partition: string;
  /** Extra lock keys held as well (e.g. the shared state every partition writes). */
  alsoLock?: string[];
  retries: number;
  backoffMs: number;
  lockTtlMs: number;
  now?: () => number;
  /** Called with the run's id before the first step (restatements carry it). */
  onStart?: (runId: string) => void;
  /** Called before each step (progress, metrics). */
  onStep?: (step: string, index: number, total: number) => void;
}

interface StepResult {
  name: string;
  rows: number;
  ms: number;
  attempts: number;
}

export interface RunResult {
  runId: string;
  workflow: string;
  status: 'succeeded' | 'failed' | 'skipped';
  steps: StepResult[];
  ms: number;
  error: string | null;
}

/** The steps in dependency order; an unknown dependency or a cycle is an error. */
function topoOrder<C>(wf: Workflow<C>): Step<C>[] {
  const byName = new Map(wf.steps.map((s) => [s.name, s]));
  const out: Step<C>[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (s: Step<C>, path: string[]) => {
    if (state.get(s.name) === 'done') return;
    if (state.get(s.name) === 'visiting') throw new JobError('JOB_ERR_UNKNOWN_WORKFLOW', `workflow ${wf.name} has a cycle: ${[...path, s.name].join(' -> ')}`);
    state.set(s.name, 'visiting');
    for (const d of s.after) {
      const dep = byName.get(d);
      if (!dep) throw new JobError('JOB_ERR_UNKNOWN_WORKFLOW', `step ${s.name} of workflow ${wf.name} needs unknown step ${d}`);
      visit(dep, [...path, s.name]);
    }
    state.set(s.name, 'done');
    out.push(s);
  };
  for (const s of wf.steps) visit(s, []);
  return out;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export async function runWorkflow<C>(wf: Workflow<C>, ctx: C, o: RunOptions): Promise<RunResult> {
  const now = o.now ?? Date.now;
  const steps = topoOrder(wf);
  const keys = [o.partition, ...(o.alsoLock ?? [])];
  const held: string[] = [];
  for (const k of keys) {
    if (!(await o.store.acquireJobLock(k, o.owner, o.lockTtlMs, now()))) {
      for (const h of held) await o.store.releaseJobLock(h, o.owner);
      o.log.info({ workflow: wf.name, lock: k }, 'another run holds the lock; skipped');
      return { runId: '', workflow: wf.name, status: 'skipped', steps: [], ms: 0, error: `lock ${k} is held by another run` };
    }
    held.push(k);
  }
  const t0 = now();
  const runId = await o.store.startJobRun(wf.name, o.partition, t0);
  o.onStart?.(runId);
  const results: StepResult[] = [];
  const io = new StepIO();
  let error: string | null = null;
  try {
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      o.onStep?.(step.name, i, steps.length);
      for (const k of held) if (!(await o.store.renewJobLock(k, o.owner, o.lockTtlMs, now()))) throw new JobError('JOB_ERR_LOCKED', `lost the lock ${k} (not renewed within ${o.lockTtlMs} ms)`);
      const s0 = now();
      const stepRun = await o.store.startJobRun(`${wf.name}.${step.name}`, o.partition, s0);
      for (let attempt = 1; ; attempt++) {
        try {
          const rows = await step.run(ctx, io);
          await o.store.finishJobRun(stepRun, 'succeeded', now(), rows, attempt > 1 ? `succeeded on attempt ${attempt}` : null);
          results.push({ name: step.name, rows, ms: now() - s0, attempts: attempt });
          break;
        } catch (err) {
          const msg = err instanceof Error ? err.message : String(err);
          if (attempt > o.retries) {
            await o.store.finishJobRun(stepRun, 'failed', now(), null, `attempt ${attempt}: ${msg}`);
            throw new JobError('JOB_ERR_STEP_FAILED', `step ${step.name} of ${wf.name} failed after ${attempt} attempts: ${msg}`, err);
          }
          const wait = o.backoffMs * 2 ** (attempt - 1);
          o.log.warn({ workflow: wf.name, step: step.name, attempt, wait, err: msg }, 'step failed; retrying');
          await sleep(wait);
        }
      }
    }
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  } finally {
    const rows = results.reduce((s, r) => s + r.rows, 0);
    await o.store.finishJobRun(runId, error ? 'failed' : 'succeeded', now(), rows, error);
    for (const k of held) await o.store.releaseJobLock(k, o.owner);
  }
  return { runId, workflow: wf.name, status: error ? 'failed' : 'succeeded', steps: results, ms: now() - t0, error };
}
