#!/usr/bin/env node
import { readFileSync, writeFileSync } from 'node:fs';
import { CliError, SluiceError } from '../common/errors.js';
import { optionsHelp, optionsMarkdown, type CommandInfo } from '../common/config.js';
import { simSpec } from '../sdk-mock/options.js';
import { demoCommand, demoSpec } from './commands/demo.js';
import { simCommand } from './commands/sim.js';
import { trackingCommand } from './commands/tracking.js';
import { adserverCommand } from './commands/adserver.js';
import { adserverSpec } from '../adserver/options.js';
import { pipelineCommand } from './commands/pipeline.js';
import { pipelineSpec } from '../pipeline/options.js';
import { trackingSpec } from '../tracking/options.js';
import { jobsCommand } from './commands/jobs.js';
import { jobsSpec } from '../jobs/options.js';
import { mrCommand, mrSpec } from './commands/mr.js';
import { uiCommand } from './commands/ui.js';
import { uiSpec } from '../reporting-ui/options.js';

const commands: Record<string, { spec: CommandInfo; run: (argv: readonly string[]) => Promise<void> }> = {
  sim: { spec: simSpec, run: simCommand },
  tracking: { spec: trackingSpec, run: trackingCommand },
  adserver: { spec: adserverSpec, run: adserverCommand },
  pipeline: { spec: pipelineSpec, run: pipelineCommand },
  jobs: { spec: jobsSpec, run: jobsCommand },
  mr: { spec: mrSpec, run: mrCommand },
  ui: { spec: uiSpec, run: uiCommand },
  demo: { spec: demoSpec, run: demoCommand },
};
const OPTIONS_START = '<!-- options:start -->';
const OPTIONS_END = '<!-- options:end -->';
const NOT_YET: string[] = [];

function usage(): string {
  return [
    'usage: sluice <command> [options]   (sluice <command> --help for its options)',
    '',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.spec.summary}`),
    `  options    print every command's options (--markdown for the README table)`,
    ...(NOT_YET.length ? ['', `not built yet: ${NOT_YET.join(', ')}`] : []),
  ].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return;
  }
  if (name === 'options') {
    const md = Object.entries(commands).map(([cmd, c]) => `#### sluice ${cmd}\n\n${optionsMarkdown(c.spec)}\n`).join('\n');
    const at = rest.indexOf('--readme');
    if (at >= 0) {
      // Rewrites the README's option tables between their markers, so the docs follow the schemas.
      const file = rest[at + 1] ?? 'README.md';
      const text = readFileSync(file, 'utf8');
      const start = text.indexOf(OPTIONS_START);
      const end = text.indexOf(OPTIONS_END);
      if (start < 0 || end < start) throw new CliError('CLI_ERR_NO_MARKERS', `${file} has no ${OPTIONS_START} ... ${OPTIONS_END} markers`);
      writeFileSync(file, text.slice(0, start + OPTIONS_START.length) + '\n' + md + text.slice(end));
      console.log(`updated the option tables in ${file}`);
      return;
    }
    console.log(rest.includes("--markdown") ? md : Object.values(commands).map((c) => optionsHelp(c.spec)).join("\n\n"));
    return;
  }
  const cmd = commands[name];
  if (!cmd) {
    const why = NOT_YET.includes(name) ? `'${name}' is not built yet` : `unknown command '${name}'`;
    throw new CliError('CLI_ERR_UNKNOWN_COMMAND', `${why}\n\n${usage()}`);
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(optionsHelp(cmd.spec));
    return;
  }
  await cmd.run(rest);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // One clear message, no stack, for errors we raised on purpose (bad config, bad command).
  if (err instanceof SluiceError) {
    console.error(`sluice: ${err.message}`);
    process.exitCode = err.code.startsWith('CLI_ERR_') ? 2 : 1;
  } else {
    console.error(err);
    process.exitCode = 1;
  }
});
