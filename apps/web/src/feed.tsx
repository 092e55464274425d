// The signed-in user's notifications, kept live: the list, then every new notification and
// delivery change from GET /me/notifications/stream. After a cut the stream is asked again with
// the id of the last event received (Last-Event-ID), so what was missed arrives, once; when the
// feed no longer has all of it (a reset), or the cut came before any event, the list is loaded again.
import { createContext, type ReactNode, useContext, useEffect, useState } from "react";
import { api, ok } from "./api.ts";
import type { Me } from "./app.tsx";

export type Notification = NonNullable<Awaited<ReturnType<ReturnType<typeof api.users>["notifications"]["get"]>>["data"]>["notifications"][number];

interface Feed {
  notifications: Notification[];
  /** Whether the stream is connected now. */
  live: boolean;
  /** Grows with each notification received: pages showing what notifications are about reload on it. */
  received: number;
}

const FeedContext = createContext<Feed>({ notifications: [], live: false, received: 0 });
export const useFeed = () => useContext(FeedContext);

/** Newest first, one entry per notification id (a later copy carries newer delivery states). */
function merge(list: Notification[], more: Notification[]): Notification[] {
  const byId = new Map(list.map((n) => [n.id, n]));
  for (const n of more) byId.set(n.id, n);
  return [...byId.values()].sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id));
}

export function FeedProvider({ me, children }: { me: Me; children: ReactNode }) {
  const [feed, setFeed] = useState<Feed>({ notifications: [], live: false, received: 0 });
  useEffect(() => {
    const stop = new AbortController();
    // A reload replaces the list, and counts as received: what the pages show may be stale too.
    const add = (more: Notification[], reload = false) =>
      setFeed((f) => ({ ...f, notifications: merge(reload ? [] : f.notifications, more), received: f.received + more.length + (reload ? 1 : 0) }));
    const setLive = (live: boolean) => setFeed((f) => (f.live === live ? f : { ...f, live }));
    void follow(me.id, stop.signal, add, setLive);
    return () => stop.abort();
  }, [me.id]);
  return <FeedContext.Provider value={feed}>{children}</FeedContext.Provider>;
}

/**
 * Stream first, then the list: nothing made in between is missed (the stream starts "now"), and an
 * overlap is merged by id. After a cut the stream is asked again from the last event's id; the
 * list is asked again, and replaces what the page showed, when the stream says it lost changes
 * since (a reset: the page was away longer than the feed keeps them) or when there is no id yet
 * to resume from (cut before any event).
 */
async function follow(userId: string, signal: AbortSignal, add: (n: Notification[], reload?: boolean) => void, setLive: (live: boolean) => void) {
  const list = async () => ok(await api.users({ id: userId }).notifications.get({ query: { page_size: 50 }, fetch: { signal } })).notifications;
  let last: string | undefined;
  let listed = false;
  let wait = 500;
  while (!signal.aborted) {
    try {
      const res = await api.me.notifications.stream.get({ headers: last ? { "last-event-id": last } : {}, fetch: { signal } });
      const events = ok(res);
      setLive(true);
      // Without a cursor the stream starts "now": on a reconnect before any event (so no id to
      // resume from), what was made while away would never come, so the list is loaded again.
      if (!listed) add(await list());
      else if (!last) add(await list(), true);
      listed = true;
      wait = 500;
      for await (const event of events) {
        if (event.event === "reset") add(await list(), true);
        if (event.event === "notification") add([event.data]);
        // Only once handled: a reset whose list did not load comes again on the reconnect.
        if (event.id !== undefined) last = String(event.id);
      }
    } catch {
      // A cut stream, a gateway away, a refused reconnect: all the same here, try again shortly.
    }
    setLive(false);
    await sleep(wait, signal);
    wait = Math.min(wait * 2, 5000);
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
  });
