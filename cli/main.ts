// Entry point of the `iommu-lab` command: wires the subcommands and maps
// usage errors (bad options, invalid scenarios) to one line each and exit 2.
// Only the command definitions load here; each command imports the service
// when it runs (cli/client.ts), so `--help` and usage errors start instantly.
import { Command, CommanderError } from 'commander';
import { registerPolicy } from './commands/policy.ts';
import { registerCalibrate } from './commands/calibrate.ts';
import { registerCompare } from './commands/compare.ts';
import { registerExperiments } from './commands/experiments.ts';
import { registerHistory } from './commands/history.ts';
import { registerIo } from './commands/io.ts';
import { registerRuns } from './commands/runs.ts';
import { registerServe } from './commands/serve.ts';
import { registerSimulate } from './commands/simulate.ts';
import { registerSweep } from './commands/sweep.ts';
import { registerWorker } from './commands/worker.ts';
import { loadService } from './service-module.ts';
import { processIo, UsageError, type Io } from './usage.ts';

function buildProgram(io: Io): Command {
  const program = new Command('iommu-lab')
    .description('Simulate and measure strict vs lazy IOTLB invalidation under a virtual VT-d IOMMU')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      // Commander's own errors: keep the one-line reason.
      outputError: (s, write) => write(`${s.split('\n')[0]}\n`),
    });
  registerPolicy(program, io);
  registerSimulate(program, io);
  registerRuns(program, io);
  registerSweep(program, io);
  registerWorker(program, io);
  registerExperiments(program, io);
  registerCompare(program, io);
  registerHistory(program, io);
  registerCalibrate(program, io);
  registerIo(program, io);
  registerServe(program, io);
  const exitOverride = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}

/** A journal busy with another process's write: worth retrying, not a usage problem. */
function isTransient(message: string): boolean {
  return message.startsWith('journal busy:');
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    // A command that partly fails (a run failed, a file was not imported) prints its output and sets process.exitCode.
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError) {
      io.err(`iommu-lab: ${err.message}`);
      return 2;
    }
    // An error of the service, as the protocol's client hands it over (code, message, fields);
    // it came through a call, so the service module is loaded already.
    const { ApiError } = await loadService();
    if (!(err instanceof ApiError)) throw err;
    const apiError = err;
    // Bad input and a journal that cannot be opened exit 2 like a usage error; a missing run, a conflict or a busy journal exits 1.
    if (apiError.code !== 'invalid' || !apiError.fields.length) {
      io.err(`iommu-lab: ${apiError.message}`);
      return apiError.code === 'invalid' || (apiError.code === 'unavailable' && !isTransient(apiError.message)) ? 2 : 1;
    }
    const scenarioOnly = apiError.fields.every((f) => f.path.startsWith('scenario'));
    io.err(`iommu-lab: invalid ${scenarioOnly ? 'scenario' : 'input'}`);
    for (const f of apiError.fields) io.err(`  ${(scenarioOnly ? f.path.replace(/^scenario\.?/, '') : f.path) || '(root)'}: ${f.message}`);
    return 2;
  }
}

