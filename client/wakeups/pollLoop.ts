// The timer loop both change pollers share: the next poll is planned after this one ends, so a slow API
// never stacks polls up; a poll asked for while one runs joins it; stop waits for the running one.
export interface PollLoopOptions<T> {
  intervalSeconds: number;
  poll: () => Promise<T>;
  onError: (err: unknown) => void;
}

export class PollLoop<T> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<T> | undefined;
  private stopped = true;

  constructor(private readonly options: PollLoopOptions<T>) {}

  start(): void {
    if (this.options.intervalSeconds <= 0 || !this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  pollOnce(): Promise<T> {
    this.running ??= this.options.poll().finally(() => (this.running = undefined));
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.pollOnce()
        .catch(this.options.onError)
        .finally(() => this.schedule());
    }, this.options.intervalSeconds * 1000);
    this.timer.unref();
  }
}
