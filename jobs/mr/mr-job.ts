/**
 * A map/reduce job over text lines, the shape Hadoop Streaming runs: map turns one input line
 * into (key, value) pairs; the pairs travel as lines `key<TAB>value`, are sorted byte-wise
 * (`LC_ALL=C sort` here, the shuffle under Hadoop) and reduce sees every value of one key.
 *
 * Contract for keys and values (checked where they are emitted, see phases.ts): printable
 * ASCII only (0x20-0x7e), keys non-empty. So there is no tab
 * or newline to break a line, byte order equals JavaScript string order, and all lines of a
 * key sort together (a tab sorts below every key character). encoding.ts has the escapes.
 *
 * Reduce must not depend on the order of `values`: the local runner and `sort` hand them in
 * sorted line order, but Hadoop sorts by key only.
 */
export type Emit = (key: string, value: string) => void;

export interface MrJob {
  /** The name `sluice mr <name> map|reduce` runs it by. */
  readonly name: string;
  /** One line in ('' lines are skipped before), zero or more pairs out. */
  map(line: string, emit: Emit): void;
  /** Every value of one key (in sorted line order locally), zero or more pairs out. */
  reduce(key: string, values: string[], emit: Emit): void;
}

export type MrPhase = 'map' | 'reduce';
