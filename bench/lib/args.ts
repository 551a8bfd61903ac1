/** Command-line options of `npm run bench -- [options]`. */
export interface BenchArgs {
  quick: boolean;
  /** Target names to run (default: all). */
  targets: string[] | null;
  /** Scenario names to run (default: all of the mode). */
  scenarios: string[] | null;
  rounds: number;
  pin: boolean;
  out: string | null;
  /** Directory for a `--cpu-prof` profile of the PressRelay server (null: no profiling). */
  profile: string | null;
}

export const USAGE = `npm run bench -- [--quick] [--targets a,b] [--scenarios a,b] [--rounds N] [--no-pin] [--out file.json] [--profile dir]
  targets:   naive, preframed, coalescing, pressrelay, plain-ws, plain-ws+req
  scenarios: fan-out, many-channels, http, connections, sse, long-poll, recovery, cluster-fan-out`;

export function parseArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = {
    quick: false,
    targets: null,
    scenarios: null,
    rounds: 0,
    pin: true,
    out: null,
    profile: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    if (arg === '--quick') args.quick = true;
    else if (arg === '--targets') args.targets = value().split(',');
    else if (arg === '--scenarios') args.scenarios = value().split(',');
    else if (arg === '--rounds') args.rounds = Number(value());
    else if (arg === '--no-pin') args.pin = false;
    else if (arg === '--out') args.out = value();
    else if (arg === '--profile') args.profile = value();
    else if (arg === '--help' || arg === '-h') throw new Error(USAGE);
    else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  if (!args.rounds) args.rounds = args.quick ? 1 : 3;
  return args;
}
