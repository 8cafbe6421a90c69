// Which device each worker of a data-parallel run takes on a CUDA machine, as PyTorch users know it from
// torchrun (torch.cuda.set_device(local_rank)): a worker whose --device is CUDA without an index (cuda, or auto
// where there is a GPU) takes cuda:<LOCAL_RANK>, so the workers of one machine take one GPU each. An explicit
// cuda:N is kept as given: a launcher that hands each worker its own GPU through CUDA_VISIBLE_DEVICES passes
// cuda:0 (or cuda). Pure: the caller passes what the addon reports (src/native/binding.ts info()).
import { UsageError } from '../util/usage-error.js';
import type { DistributedEnv } from './env.js';

/** A worker without a device of its own, or a launcher asked for more GPU workers than GPUs (exit code 2). */
export class WorkerDeviceError extends UsageError {}

/** The CUDA devices this process sees (addon info(): cudaAvailable, cudaDeviceCount). */
export interface CudaDevices {
  available: boolean;
  count: number;
}

const EXPLICIT_CUDA = /^cuda:\d+$/;

/** "2 CUDA devices are visible (cuda:0..cuda:1)". */
function visibleText(count: number): string {
  if (count === 0) return 'no CUDA device is visible';
  return count === 1 ? '1 CUDA device is visible (cuda:0)' : `${count} CUDA devices are visible (cuda:0..cuda:${count - 1})`;
}

/** Whether a --device value means "a CUDA device, whichever this worker's is": cuda, or auto where there is CUDA. */
export function isUnindexedCuda(requested: string, cuda: CudaDevices): boolean {
  return requested === 'cuda' || (requested === 'auto' && cuda.available);
}

/**
 * The device a process of a run asks for (what src/native/device.ts resolveDevice then checks): `requested`
 * as given, except for a data-parallel worker (`distributed` not null) whose device is CUDA without an index
 * (cuda; auto where CUDA is available): that one takes cuda:<LOCAL_RANK>. A LOCAL_RANK without a CUDA device is
 * a WorkerDeviceError naming it and the device count. `cuda` without CUDA available is left to resolveDevice,
 * whose error says why.
 */
export function workerDevice(requested: string, distributed: Pick<DistributedEnv, 'localRank' | 'localRankFromRank'> | null, cuda: CudaDevices): string {
  if (distributed === null || !cuda.available || !isUnindexedCuda(requested, cuda)) return requested;
  const { localRank } = distributed;
  if (localRank >= cuda.count) {
    const which = distributed.localRankFromRank
      ? `LOCAL_RANK is not set, so RANK ${localRank} stands for it`
      : `LOCAL_RANK ${localRank}`;
    throw new WorkerDeviceError(
      `${which}, but a data-parallel worker on CUDA takes cuda:<LOCAL_RANK> and ${visibleText(cuda.count)}: ` +
        (distributed.localRankFromRank
          ? "set LOCAL_RANK to the worker's index on its machine (torchrun does)"
          : `start at most ${cuda.count} worker${cuda.count === 1 ? '' : 's'} per machine`) +
        ', or give --device cpu',
    );
  }
  return `cuda:${localRank}`;
}

/**
 * `train --nproc N` before it starts its workers (N > 1): each worker takes cuda:<its local rank>, so N may not
 * exceed the visible CUDA devices; an explicit cuda:N would put every worker on that one GPU and is refused.
 * `requested` is the workers' --device (given, or the resumed run's recorded one).
 */
export function checkLocalWorkers(nproc: number, requested: string, cuda: CudaDevices): void {
  if (EXPLICIT_CUDA.test(requested)) {
    throw new WorkerDeviceError(
      `--nproc ${nproc} with --device ${requested} would put every worker on ${requested}: give --device cuda (worker i takes cuda:i; choose the GPUs with CUDA_VISIBLE_DEVICES)`,
    );
  }
  if (cuda.available && isUnindexedCuda(requested, cuda) && nproc > cuda.count) {
    throw new WorkerDeviceError(
      `--nproc ${nproc} starts one worker per GPU (worker i takes cuda:i), but ${visibleText(cuda.count)}: give --nproc ${cuda.count} or less, or --device cpu`,
    );
  }
}
