// Process entry of one bench job: the job as JSON in argv[2]; the result as one JSON line on stdout.
import { runBenchJob, type BenchWorkerJob } from './worker.js';

try {
  const job = JSON.parse(process.argv[2] ?? '') as BenchWorkerJob;
  const result = await runBenchJob(job, (line) => process.stderr.write(line + '\n'));
  process.stdout.write(JSON.stringify(result) + '\n');
} catch (err) {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
