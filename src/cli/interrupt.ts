// Ctrl-C for long commands: the first interrupt asks for a clean stop (the returned signal aborts; `message`
// says what will happen), the second quits at once with exit code 130.
export async function withInterrupts<T>(message: string, signals: readonly NodeJS.Signals[], body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write(`\n${message} (Ctrl-C again to quit now)\n`);
    controller.abort();
  };
  for (const s of signals) process.on(s, onSignal);
  try {
    return await body(controller.signal);
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}
