// Checkpoints of a ZeRO-1 run: each rank holds the AdamW state of its share of the parameters, so each writes
// its shard. Ranks other than 0 write theirs into a staging folder (checkpoints/.step-N.shards); after every
// rank has reported, rank 0 writes its state file (weights, RNG, its own shard), moves the shards in beside it
// and commits the checkpoint folder as writeCheckpoint always does (temporary folder, then rename). The ranks
// agree twice through the process group, so a failure on any rank fails the checkpoint on every rank with one
// clear error, and no rank goes on before the checkpoint is committed. The run folder must be one that every
// rank sees (a shared file system across machines), as for resuming.
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { NativeProcessGroup, NativeTrainer } from '../native/binding.js';
import { CheckpointWriteError, STATE_FILE, optimizerShardFile, shardStagingDir, writeCheckpoint, type CheckpointRecord } from './checkpoints.js';

export interface ShardedCheckpointJob {
  group: NativeProcessGroup;
  trainer: NativeTrainer;
  runDir: string;
  record: CheckpointRecord;
  metadata: Record<string, string>;
  /** metrics.jsonl (rank 0's; null on the other ranks). */
  metricsFile: string | null;
}

/** How many ranks failed (every rank passes whether it did). */
async function failuresOverRanks(group: NativeProcessGroup, failed: boolean): Promise<number> {
  const [n] = await group.allReduceSum(Float64Array.of(failed ? 1 : 0));
  return n ?? 0;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Writes one checkpoint of a ZeRO-1 run; every rank calls it at the same step. */
export async function writeShardedCheckpoint(job: ShardedCheckpointJob): Promise<void> {
  const { group, trainer, runDir, record } = job;
  const rank = group.rank();
  const worldSize = group.worldSize();
  const name = `step-${record.step}`;
  const staging = shardStagingDir(runDir, record.step);

  let shardError: unknown = null;
  if (rank !== 0) {
    try {
      await mkdir(staging, { recursive: true });
      await trainer.saveState(path.join(staging, optimizerShardFile(rank)), job.metadata);
    } catch (err) {
      shardError = err;
    }
  }
  const shardFailures = await failuresOverRanks(group, shardError !== null);
  if (shardError !== null) throw new CheckpointWriteError(`could not write checkpoint ${name}: rank ${rank} could not write its optimizer-state shard: ${messageOf(shardError)}`);
  if (shardFailures > 0) {
    if (rank === 0) await rm(staging, { recursive: true, force: true });
    throw new CheckpointWriteError(`could not write checkpoint ${name}: ${shardFailures} rank(s) could not write their optimizer-state shard (their errors say why)`);
  }

  let commitError: unknown = null;
  if (rank === 0) {
    try {
      await writeCheckpoint(runDir, record, async (dir) => {
        await trainer.saveState(path.join(dir, STATE_FILE), job.metadata);
        const files = [STATE_FILE];
        for (let other = 1; other < worldSize; other++) {
          const file = optimizerShardFile(other);
          const from = path.join(staging, file);
          if (!existsSync(from)) {
            throw new Error(`rank ${other}'s optimizer-state shard is not in ${staging}: ZeRO-1 checkpoints need a run folder that every rank sees (a shared file system)`);
          }
          await rename(from, path.join(dir, file));
          files.push(file);
        }
        return files;
      }, job.metricsFile!);
    } catch (err) {
      commitError = err;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  const commitFailures = await failuresOverRanks(group, commitError !== null);
  if (commitError !== null) throw commitError;
  if (commitFailures > 0) throw new CheckpointWriteError(`could not write checkpoint ${name}: rank 0 could not commit it (its error says why)`);
}
