import { once } from 'node:events';
import { loadConfig } from '../../common/config.js';
import { CliError } from '../../common/errors.js';
import { MR_CHAIN, MR_JOBS } from '../../jobs/mr/mr-jobs.js';
import { mrSpec } from '../../jobs/mr/options.js';
import { parquetFiles, parquetLines } from '../../jobs/mr/parquet-lines.js';
import { streamPhase } from '../../jobs/mr/stream.js';

export { mrSpec };

const USAGE = [
  'usage: sluice mr <job> map|reduce   (stdin lines -> key<TAB>value lines on stdout)',
  '       sluice mr cat <file.parquet|dir>   (Parquet events -> EventRow JSON lines)',
  `jobs, in chain order: ${MR_CHAIN.map((j) => j.name).join(' > ')}`,
  'e.g.   sluice mr cat data/lake/events | sluice mr dedupe map | LC_ALL=C sort | sluice mr dedupe reduce > deduped',
].join('\n');

/**
 * `sluice mr <job> map|reduce`: one phase of a map/reduce job as a Hadoop Streaming task.
 * `sluice mr cat <file.parquet|dir>`: the lake's events as JSON lines, the chain's input.
 * At the end, Hadoop counters (lines in and out) go to stderr unless --log-level is below info.
 */
export async function mrCommand(argv: readonly string[]): Promise<void> {
  const cfg = loadConfig(mrSpec, argv);
  const [name, phase, ...rest] = cfg.positionals;
  const counters = cfg.logLevel === 'info' || cfg.logLevel === 'debug';
  if (name === 'cat') {
    const paths = [phase, ...rest].filter((p): p is string => p !== undefined);
    if (paths.length === 0) throw new CliError('CLI_ERR_USAGE', `mr cat needs a Parquet file or a directory\n\n${USAGE}`);
    let rows = 0;
    for (const path of paths) {
      for (const file of await parquetFiles(path)) {
        for await (const line of parquetLines(file)) {
          rows++;
          if (!process.stdout.write(line + '\n')) await once(process.stdout, 'drain');
        }
      }
    }
    if (counters) process.stderr.write(`reporter:counter:sluice-mr,cat-rows,${rows}\n`);
    return;
  }
  if (name === undefined) throw new CliError('CLI_ERR_USAGE', `mr needs a job and a phase\n\n${USAGE}`);
  const job = MR_JOBS[name];
  if (!job) throw new CliError('CLI_ERR_UNKNOWN_JOB', `unknown map/reduce job '${name}'\n\n${USAGE}`);
  if (phase !== 'map' && phase !== 'reduce') throw new CliError('CLI_ERR_UNKNOWN_PHASE', `${phase === undefined ? 'no phase' : `unknown phase '${phase}'`} for job ${name}: use map or reduce\n\n${USAGE}`);
  if (rest.length > 0) throw new CliError('CLI_ERR_USAGE', `unexpected arguments after 'mr ${name} ${phase}': ${rest.join(' ')}\n\n${USAGE}`);
  const stats = await streamPhase(job, phase, process.stdin, process.stdout);
  if (counters) process.stderr.write(`reporter:counter:sluice-mr,${name}-${phase}-lines-in,${stats.linesIn}\nreporter:counter:sluice-mr,${name}-${phase}-lines-out,${stats.linesOut}\n`);
}
