import type { Command } from 'commander';
import { NotBuiltError } from '../errors.ts';

/** A subcommand a later issue delivers: listed in --help, says so and exits 2 when run. */
export function registerNotBuilt(program: Command, name: string, summary: string, deliveredBy: string): void {
  program
    .command(name)
    .description(`${summary} [not built yet: ${deliveredBy}]`)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .helpOption('-h, --help', 'display help for command')
    .action(() => {
      throw new NotBuiltError(`netharness ${name}: not built yet; it is delivered by ${deliveredBy}.`);
    });
}
