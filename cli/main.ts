// Entry point of the `iommu-lab` command. Each subcommand lives in its own
// module under cli/commands/; this file only wires them and maps usage errors
// to exit code 2.
import { Command, CommanderError } from 'commander';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('iommu-lab')
    .description('Simulate and measure strict vs lazy IOTLB invalidation under a virtual VT-d IOMMU')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ outputError: (str, write) => write(str.split('\n')[0] + '\n') });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
      return 2;
    }
    throw err;
  }
}
