// Training progress for people: one live line redrawn with \r on a terminal, plain periodic lines otherwise
// (logs, CI, pipes).

export interface ProgressUpdate {
  /** 1-based count of finished optimizer steps. */
  step: number;
  epoch: number;
  loss: number;
  lr: number;
  tokensPerSec: number;
  elapsedSec: number;
  gradNorm?: number;
  /** Seconds left; default elapsed / step x steps left. (The loop leaves out the first step, which carries one-time setup.) */
  etaSec?: number;
}

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  total: number;
  stream?: ProgressStream;
  /** Redraw one line (default: stream.isTTY). */
  live?: boolean;
  /** Without a TTY, print every this many steps (and the first and last). Default 10. */
  logEvery?: number;
  /** On a TTY, redraw at most this often (ms). Default 100. */
  minIntervalMs?: number;
  now?: () => number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(h > 0 ? 2 : 1, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function formatRate(tokensPerSec: number): string {
  if (!Number.isFinite(tokensPerSec)) return '-';
  if (tokensPerSec >= 1e4) return `${(tokensPerSec / 1e3).toFixed(1)}k`;
  return tokensPerSec.toFixed(0);
}

/** The progress line of an update, e.g. `step 12/150  loss 7.1234  lr 1.20e-3  5.4k tok/s  0:35 elapsed  ETA 1:20`. */
export function formatProgressLine(u: ProgressUpdate, total: number): string {
  const width = String(total).length;
  const eta = u.etaSec ?? (u.step > 0 ? (u.elapsedSec / u.step) * (total - u.step) : NaN);
  const parts = [
    `step ${String(u.step).padStart(width)}/${total}`,
    `epoch ${u.epoch + 1}`,
    `loss ${Number.isFinite(u.loss) ? u.loss.toFixed(4) : String(u.loss)}`,
    `lr ${u.lr.toExponential(2)}`,
  ];
  if (u.gradNorm !== undefined) parts.push(`grad ${Number.isFinite(u.gradNorm) ? u.gradNorm.toFixed(2) : String(u.gradNorm)}`);
  parts.push(`${formatRate(u.tokensPerSec)} tok/s`, `${formatDuration(u.elapsedSec)} elapsed`, `ETA ${formatDuration(eta)}`);
  return parts.join('  ');
}

export class ProgressReporter {
  private readonly stream: ProgressStream;
  private readonly live: boolean;
  private readonly logEvery: number;
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  private lastDraw = -Infinity;
  private lineOpen = false;
  private last: ProgressUpdate | null = null;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stdout;
    this.live = options.live ?? Boolean(this.stream.isTTY);
    this.logEvery = Math.max(1, options.logEvery ?? 10);
    this.minIntervalMs = options.minIntervalMs ?? 100;
    this.now = options.now ?? (() => Date.now());
  }

  update(u: ProgressUpdate): void {
    this.last = u;
    const line = formatProgressLine(u, this.options.total);
    const final = u.step >= this.options.total;
    if (this.live) {
      const t = this.now();
      if (!final && t - this.lastDraw < this.minIntervalMs) return;
      this.lastDraw = t;
      const cols = this.stream.columns;
      const shown = cols && cols > 10 && line.length >= cols ? line.slice(0, cols - 1) : line;
      this.stream.write(`\r${shown}\x1b[K`);
      this.lineOpen = true;
    } else if (u.step === 1 || final || u.step % this.logEvery === 0) {
      this.stream.write(line + '\n');
    }
  }

  /** Prints a message on its own line without mangling the live line. */
  log(message: string): void {
    if (this.lineOpen) {
      this.stream.write('\r\x1b[K');
      this.stream.write(message + '\n');
      if (this.last) this.stream.write(`\r${formatProgressLine(this.last, this.options.total)}\x1b[K`);
    } else {
      this.stream.write(message + '\n');
    }
  }

  /** Ends the live line (the last state stays visible). */
  finish(): void {
    if (this.live && this.lineOpen) {
      if (this.last) this.stream.write(`\r${formatProgressLine(this.last, this.options.total)}\x1b[K`);
      this.stream.write('\n');
      this.lineOpen = false;
    }
  }
}
