// The local-time stamp in default output folder names (runs/<stamp>-<method>, eval and bench results).

/** YYYYMMDD-HHMMSS in local time. */
export function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}
