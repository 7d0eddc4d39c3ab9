// `npm run bench`: every benchmark in sequence, each printing its own table with the baseline measured
// in the same run. Pass names to run a subset: `npm run bench -- idleCost wakeLatency`.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const benchmarks: Record<string, string[]> = {
  emulatorThroughput: ['100000'],
  engineInitialSync: ['--records', '100000'],
  lineageOverhead: ['--records', '20000', '--rounds', '3'],
  populatedFirstSync: ['--records', '10000', '--overlap', '0.8'],
  wakeLatency: ['--changes', '100', '--debounce-ms', '0'],
  throughputCeiling: ['--records', '8000', '--workers', '1,2,3'],
  idleCost: ['--entries', '10000', '--seconds', '60', '--wakeups', '100'],
};

function run(): void {
  const wanted = process.argv.slice(2);
  for (const name of wanted.length ? wanted : Object.keys(benchmarks)) {
    const args = benchmarks[name];
    if (!args)
      throw new Error(`unknown benchmark "${name}": use one of ${Object.keys(benchmarks).join(', ')}`);
    console.log(`\n=== ${name} ${args.join(' ')}`);
    const res = spawnSync(process.execPath, [join(__dirname, `${name}.js`), ...args], { stdio: 'inherit' });
    if (res.status !== 0) throw new Error(`${name} failed (exit ${res.status})`);
  }
}

try {
  run();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
