// The environment a data-parallel worker is started with: torchrun's contract (RANK, WORLD_SIZE, LOCAL_RANK,
// MASTER_ADDR, MASTER_PORT), so torchrun-style launchers, SLURM scripts and Kubernetes jobs start peft-native
// workers as they start PyTorch ones. `train --nproc N` (src/distributed/launch.ts) sets the same variables.
import { UsageError } from '../util/usage-error.js';

export interface DistributedEnv {
  rank: number;
  worldSize: number;
  /** The rank among the workers of this machine: a worker on CUDA takes cuda:<localRank> (src/distributed/device.ts). */
  localRank: number;
  /** LOCAL_RANK was not set, and localRank is RANK (right when every worker runs on one machine). */
  localRankFromRank?: boolean;
  masterAddr: string;
  masterPort: number;
  /** How long the rendezvous and each collective wait for the other ranks (PEFT_NATIVE_DIST_TIMEOUT, seconds; default 1800). */
  timeoutMs: number;
}

export class DistributedEnvError extends UsageError {}

function integerVariable(env: NodeJS.ProcessEnv, name: string, min: number, max: number, fallback?: number): number {
  const text = env[name];
  if (text === undefined || text === '') {
    if (fallback !== undefined) return fallback;
    throw new DistributedEnvError(`environment variable ${name} is not set (a distributed worker needs RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT)`);
  }
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    throw new DistributedEnvError(`environment variable ${name}: expected an integer in [${min}, ${max}], got "${text}"`);
  }
  return value;
}

/** The worker's distributed settings, or null when it runs alone (WORLD_SIZE unset or 1). */
export function distributedEnvFrom(env: NodeJS.ProcessEnv): DistributedEnv | null {
  if (env.WORLD_SIZE === undefined || env.WORLD_SIZE === '') return null;
  const worldSize = integerVariable(env, 'WORLD_SIZE', 1, 65536);
  if (worldSize === 1) return null;
  const rank = integerVariable(env, 'RANK', 0, worldSize - 1);
  const localRank = integerVariable(env, 'LOCAL_RANK', 0, worldSize - 1, rank);
  const masterAddr = env.MASTER_ADDR;
  if (masterAddr === undefined || masterAddr.trim() === '') {
    throw new DistributedEnvError('environment variable MASTER_ADDR is not set (the host where rank 0 listens, e.g. 127.0.0.1 on one machine)');
  }
  const masterPort = integerVariable(env, 'MASTER_PORT', 1, 65535);
  const timeoutSec = integerVariable(env, 'PEFT_NATIVE_DIST_TIMEOUT', 1, 7 * 24 * 3600, 1800);
  const localRankFromRank = env.LOCAL_RANK === undefined || env.LOCAL_RANK === '';
  return { rank, worldSize, localRank, ...(localRankFromRank ? { localRankFromRank } : {}), masterAddr: masterAddr.trim(), masterPort, timeoutMs: timeoutSec * 1000 };
}
