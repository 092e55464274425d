/**
 * Runs a background pass (an outbox relay, a delivery sweep) when kicked and every `everyMs`,
 * never two at once: kicks during a pass coalesce into one more pass right after it, so work
 * committed while a pass ran is not left for the timer. A pass handles its own errors (it is retried
 * at the next kick or tick), so it should not reject.
 */
export class Passes {
  private running: Promise<void> | undefined;
  /** Passes asked for that have to start after the one running. */
  private owed = 0;
  private stopped = false;
  private timer: Timer | undefined;

  constructor(
    private readonly pass: () => Promise<unknown>,
    private readonly everyMs: number,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.kick(), this.everyMs);
    this.kick();
  }

  /** Makes sure `passes` passes start from now on (the first at once, unless one is running). */
  kick(passes = 1): void {
    if (this.stopped) return; // a late kick (work finished during shutdown) must not start a pass
    if (this.running) {
      this.owed = Math.max(this.owed, passes);
      return;
    }
    this.owed = Math.max(this.owed, passes - 1);
    this.running = this.pass()
      .then(() => undefined)
      .finally(() => {
        this.running = undefined;
        const owed = this.owed;
        this.owed = 0;
        if (owed > 0) this.kick(owed);
      });
  }

  /** No more passes; resolves when the one in flight has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.owed = 0;
    await this.running;
  }
}
