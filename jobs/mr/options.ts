import { Type } from '@sinclair/typebox';
import { logLevelOption, type CommandSpec } from '../../common/config.js';

const mrSchema = Type.Object({
  logLevel: logLevelOption,
});

export const mrSpec: CommandSpec<typeof mrSchema> = {
  name: 'mr',
  positionals: 1000,
  summary:
    "Hadoop Streaming entry points: 'mr <dedupe|device|hourly> <map|reduce>' reads lines on stdin and writes key<TAB>value lines " +
    "(run map | LC_ALL=C sort | reduce, or hadoop-streaming.jar -mapper 'sluice mr dedupe map' -reducer 'sluice mr dedupe reduce'); " +
    "'mr cat <file.parquet|dir>' prints the lake's events as the JSON lines dedupe reads",
  schema: mrSchema,
};
