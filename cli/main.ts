#!/usr/bin/env node
import { SluiceError } from '../common/errors.js';
import { optionsHelp, optionsMarkdown, type CommandSpec } from '../common/config.js';
import { simSpec } from '../sdk-mock/options.js';
import { demoCommand, demoSpec } from './commands/demo.js';
import { simCommand } from './commands/sim.js';
import { trackingCommand } from './commands/tracking.js';
import { trackingSpec } from '../tracking/options.js';

const commands: Record<string, { spec: CommandSpec; run: (argv: readonly string[]) => Promise<void> }> = {
  sim: { spec: simSpec as unknown as CommandSpec, run: simCommand },
  tracking: { spec: trackingSpec as unknown as CommandSpec, run: trackingCommand },
  demo: { spec: demoSpec as unknown as CommandSpec, run: demoCommand },
};
const NOT_YET = ['adserver', 'pipeline', 'jobs', 'ui', 'mr'];

function usage(): string {
  return [
    'usage: sluice <command> [options]   (sluice <command> --help for its options)',
    '',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.spec.summary}`),
    `  options    print every command's options (--markdown for the README table)`,
    '',
    `not built yet: ${NOT_YET.join(', ')}`,
  ].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return;
  }
  if (name === 'options') {
    for (const [cmd, c] of Object.entries(commands)) {
      console.log(rest.includes('--markdown') ? `### sluice ${cmd}\n\n${optionsMarkdown(c.spec)}\n` : optionsHelp(c.spec) + '\n');
    }
    return;
  }
  const cmd = commands[name];
  if (!cmd) {
    const why = NOT_YET.includes(name) ? `'${name}' is not built yet` : `unknown command '${name}'`;
    throw new SluiceError('CLI_ERR_UNKNOWN_COMMAND', `${why}\n\n${usage()}`, 2);
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
    process.exitCode = err.statusCode === 2 ? 2 : 1;
  } else {
    console.error(err);
    process.exitCode = 1;
  }
});
