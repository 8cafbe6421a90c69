// Where a sweep's runs go: slots, one run at a time on each. A slot is one device of --devices, one of --workers
// K CPU workers sharing the cores, or with --gpus-per-run K a group of K GPUs of --devices, in the order listed:
// a run on such a slot trains data-parallel, `train --nproc K --device cuda` with CUDA_VISIBLE_DEVICES set to
// the group, so worker i takes the group's i-th GPU (src/distributed/device.ts). Pure: the flags, the core count
// and the sweep's environment come in.
import { SweepSpecError, type RunSettings } from './spec.js';

export interface RunPlacement {
  /** --device for the run's processes (null: train's default). */
  device: string | null;
  /** --threads (null: libtorch's default; under --nproc, train's launcher shares the cores out between its workers). */
  threads: number | null;
  /** A slot of several GPUs (--gpus-per-run K > 1): their names in --devices; train runs K workers, one per GPU. */
  gpus?: string[];
  /** Environment of the run's processes on top of the sweep's (CUDA_VISIBLE_DEVICES for a slot of several GPUs). */
  env?: Record<string, string>;
}

export interface SlotFlags {
  workers?: number;
  devices?: string[];
  threads?: number;
  gpusPerRun?: number;
}

const CUDA_INDEX = /^cuda:(\d+)$/;

/**
 * CUDA_VISIBLE_DEVICES for a group of GPUs named as this sweep sees them (cuda:N, N counting the GPUs the
 * sweep's own CUDA_VISIBLE_DEVICES shows, all of the machine's where it is unset).
 */
export function cudaVisibleDevices(gpus: string[], inherited: string | undefined): string {
  const indices = gpus.map((g) => Number(CUDA_INDEX.exec(g)![1]));
  if (inherited === undefined) return indices.join(',');
  const visible = inherited.split(',').map((v) => v.trim()).filter((v) => v !== '');
  const missing = gpus.find((_, i) => indices[i]! >= visible.length);
  if (missing !== undefined) {
    if (visible.length === 0) throw new SweepSpecError(`--devices ${missing}: this sweep sees no GPU (CUDA_VISIBLE_DEVICES is empty)`);
    const shown = visible.length === 1 ? '1 GPU (cuda:0)' : `${visible.length} GPUs (cuda:0..cuda:${visible.length - 1})`;
    throw new SweepSpecError(`--devices ${missing}: this sweep sees ${shown} through CUDA_VISIBLE_DEVICES=${inherited}`);
  }
  return indices.map((i) => visible[i]!).join(',');
}

/** The slots runs are placed on: one per device, K CPU workers sharing the cores, or groups of --gpus-per-run GPUs. */
export function sweepSlots(f: SlotFlags, cores: number, env: NodeJS.ProcessEnv = {}): RunPlacement[] {
  if (f.devices !== undefined && f.workers !== undefined) throw new SweepSpecError('give --devices (one run per device) or --workers (CPU runs side by side), not both');
  const k = f.gpusPerRun ?? 1;
  if (k < 1 || !Number.isInteger(k)) throw new SweepSpecError(`--gpus-per-run: expected an integer >= 1, got ${k}`);
  if (k > 1) {
    if (f.devices === undefined) throw new SweepSpecError(`--gpus-per-run ${k} gives each run ${k} GPUs of --devices: list them, e.g. --devices ${Array.from({ length: 2 * k }, (_, i) => `cuda:${i}`).join(',')}`);
    if (f.devices.includes('cpu')) throw new SweepSpecError(`--gpus-per-run ${k} gives each run ${k} GPUs, but --devices lists cpu (CPU runs train data-parallel with "nproc" in the spec)`);
    const unnamed = f.devices.find((d) => !CUDA_INDEX.test(d));
    if (unnamed !== undefined) throw new SweepSpecError(`--gpus-per-run ${k}: name each GPU of --devices by its index (cuda:0,cuda:1,...), not ${unnamed}`);
    if (f.devices.length % k !== 0) {
      throw new SweepSpecError(`--devices lists ${f.devices.length} GPU${f.devices.length === 1 ? '' : 's'}, not a multiple of --gpus-per-run ${k} (each run takes ${k})`);
    }
    return Array.from({ length: f.devices.length / k }, (_, s) => {
      const gpus = f.devices!.slice(s * k, (s + 1) * k);
      return { device: 'cuda', threads: f.threads ?? null, gpus, env: { CUDA_VISIBLE_DEVICES: cudaVisibleDevices(gpus, env.CUDA_VISIBLE_DEVICES) } };
    });
  }
  if (f.devices !== undefined) return f.devices.map((device) => ({ device, threads: f.threads ?? (device === 'cpu' ? Math.max(1, Math.floor(cores / f.devices!.length)) : null) }));
  const workers = f.workers ?? 1;
  return Array.from({ length: workers }, () => ({ device: 'cpu', threads: f.threads ?? Math.max(1, Math.floor(cores / workers)) }));
}

/** The devices a slot gives its runs (what a run's record keeps): the GPU group, the one device, or none (train's default). */
export function slotDevices(p: RunPlacement): string[] {
  return p.gpus ?? (p.device !== null ? [p.device] : []);
}

/** The flags a run's `train` (or its `eval`s) get from its slot. */
export function placementArgs(p: RunPlacement, command: 'train' | 'eval'): string[] {
  return [
    ...(p.threads !== null ? ['--threads', String(p.threads)] : []),
    ...(command === 'train' && p.gpus !== undefined ? ['--nproc', String(p.gpus.length)] : []),
    ...(p.device !== null ? ['--device', p.device] : []),
  ];
}

/** The environment settings a run's processes get from the slot, as a shell prefix ("CUDA_VISIBLE_DEVICES=0,1 "), or "". */
export function envPrefix(p: RunPlacement): string {
  return Object.entries(p.env ?? {}).map(([k, v]) => `${k}=${v} `).join('');
}

/** A slot in one phrase: "cuda:0,cuda:1 (2 workers)", "cpu x4 threads". */
export function slotText(p: RunPlacement): string {
  const where = p.gpus !== undefined ? `${p.gpus.join(',')} (${p.gpus.length} workers)` : (p.device ?? 'default device');
  return `${where}${p.threads !== null ? ` x${p.threads} threads` : ''}`;
}

/**
 * Why a run's settings do not fit the slots, or null. The sweep places runs itself (--device, --threads), and
 * with --gpus-per-run it also sets --nproc; a spec's "nproc" trains a run over several CPU workers, or on GPUs
 * would put its workers on one GPU: there --gpus-per-run is the way.
 */
export function placementConflict(settings: RunSettings, slots: RunPlacement[]): string | null {
  const nproc = settings.nproc;
  if (nproc === undefined || nproc === false) return null;
  const k = slots[0]?.gpus?.length;
  if (k !== undefined) return `sets nproc ${String(nproc)}, but with --gpus-per-run ${k} the sweep starts ${k} workers per run itself (--nproc ${k}): take nproc out of the spec`;
  if (Number(nproc) > 1 && slots.some((s) => s.device !== null && s.device.startsWith('cuda'))) {
    return `sets nproc ${String(nproc)}, but each run gets one GPU of --devices: give --gpus-per-run ${String(nproc)} instead, for ${String(nproc)} GPUs per run`;
  }
  return null;
}
