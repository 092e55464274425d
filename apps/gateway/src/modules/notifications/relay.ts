import { AppError, status } from "@evented/core";
import type { notificationV1 } from "@evented/proto";
import type { ClientReadableStream } from "@grpc/grpc-js";

type Message = notificationV1.StreamNotificationsResponse;
type Item = { message: Message } | { error: unknown } | "beat" | "end";

/** How many messages wait here for a slow client before the gRPC stream is paused (backpressure). */
const HIGH_WATER = 16;

/**
 * The notification service's stream, read for one SSE response: its messages, a heartbeat every
 * `heartbeatMs`, and the end (the service ended it, or `shutdown`). Holds at most HIGH_WATER
 * messages: past that the gRPC stream is paused, so the service waits too.
 */
export class Relay {
  private readonly queue: Item[] = [];
  private wake?: () => void;
  private readonly timer: Timer;
  private readonly onShutdown = () => this.push("end");

  constructor(
    private readonly call: ClientReadableStream<Message>,
    heartbeatMs: number,
    private readonly shutdown?: AbortSignal,
  ) {
    call.on("data", (message: Message) => {
      this.push({ message });
      if (this.queue.length >= HIGH_WATER) call.pause();
    });
    call.on("error", (error) => this.push({ error }));
    call.on("end", () => this.push("end"));
    this.timer = setInterval(() => {
      if (!this.queue.includes("beat")) this.push("beat");
    }, heartbeatMs);
    shutdown?.addEventListener("abort", this.onShutdown, { once: true });
    if (shutdown?.aborted) this.push("end");
  }

  /**
   * Resolves once the service said the stream is open, with the cursor it starts after; throws its
   * error (UNAVAILABLE, UNAUTHENTICATED, ...) otherwise.
   */
  async opened(timeoutMs: number): Promise<string> {
    const late = setTimeout(
      () => this.push({ error: new AppError(status.DEADLINE_EXCEEDED, "the notification service did not open the stream in time") }),
      timeoutMs,
    );
    try {
      for (;;) {
        const item = await this.next();
        if (item === "beat") continue;
        if (item === "end") throw new AppError(status.UNAVAILABLE, "the notification service ended the stream");
        if ("error" in item) throw item.error;
        if (item.message.message?.$case === "subscribed") return item.message.message.value;
      }
    } finally {
      clearTimeout(late);
    }
  }

  /** The next thing to pass on, waiting for it. */
  async next(): Promise<Item> {
    while (this.queue.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
    const item = this.queue.shift()!;
    if (this.queue.length < HIGH_WATER / 2) this.call.resume();
    return item;
  }

  /** Ends the gRPC call (its CANCELLED is expected, so swallowed) and the timers. */
  close(): void {
    clearInterval(this.timer);
    this.shutdown?.removeEventListener("abort", this.onShutdown);
    this.call.on("error", () => {});
    this.call.cancel();
  }

  private push(item: Item): void {
    this.queue.push(item);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
