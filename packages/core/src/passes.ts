/**
 * Runs a background pass (an outbox relay, a delivery sweep) when kicked and every `everyMs`,
 * never two at once: kicks during a pass coalesce into one more pass right after it, so work
 * committed while a pass ran is not left for the timer. A pass handles its own errors (it is retried
 * at the next kick or tick), so it should not reject.
 */
export class Passes {
  private running: Promise<void> | undefined;
  /** A kick came while a pass ran: one more pass starts after it. */
  private owed = false;
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

  /** Makes sure a pass starts from now on: at once, or right after the one running. */
  kick(): void {
    if (this.stopped) return; // a late kick (work finished during shutdown) must not start a pass
    if (this.running) {
      this.owed = true;
      return;
    }
    this.running = this.pass()
      .then(() => undefined)
      .finally(() => {
        this.running = undefined;
        if (this.owed) {
          this.owed = false;
          this.kick();
        }
      });
  }

  /** stop() was called: a pass that loops over batches ends after the one it is on. */
  get stopping(): boolean {
    return this.stopped;
  }

  /** No more passes; resolves when the one in flight has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.owed = false;
    await this.running;
  }
}
