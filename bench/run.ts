// `npm run bench`: every benchmark in sequence, each printing its own table with the baseline measured
// in the same run. Pass names to run a subset: `npm run bench -- idleCost wakeLatency`.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// The script of a benchmark is its name, unless the arguments start with another benchmark's name.
const benchmarks: Record<string, string[]> = {
  emulatorThroughput: ['100000'],
  engineInitialSync: ['--records', '100000'],
  lineageOverhead: ['--records', '20000', '--rounds', '3'],
  populatedFirstSync: ['--records', '10000', '--overlap', '0.8'],
  wakeLatency: ['--changes', '100', '--debounce-ms', '0'],
  throughputCeiling: ['--records', '8000', '--workers', '1,2,3'],
  // The same at a ceiling this 2-core machine can drive (BC's request rate x 0.15: 3 per second), so the
  // share measures bcsync against the ceiling rather than the machine (README, Benchmarks).
  throughputCeilingScaled: [
    'throughputCeiling',
    '--records',
    '2000',
    '--rate-scale',
    '0.15',
    '--workers',
    '1,2,3',
  ],
  idleCost: ['--entries', '10000', '--seconds', '60', '--wakeups', '100'],
};

function run(): void {
  const wanted = process.argv.slice(2);
  for (const name of wanted.length ? wanted : Object.keys(benchmarks)) {
    const given = benchmarks[name];
    if (!given)
      throw new Error(`unknown benchmark "${name}": use one of ${Object.keys(benchmarks).join(', ')}`);
    const [script, args] = given[0] && given[0] in benchmarks ? [given[0], given.slice(1)] : [name, given];
    console.log(`\n=== ${script} ${args.join(' ')}`);
    const res = spawnSync(process.execPath, [join(__dirname, `${script}.js`), ...args], { stdio: 'inherit' });
    if (res.status !== 0) throw new Error(`${name} failed (exit ${res.status})`);
  }
}

try {
  run();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
