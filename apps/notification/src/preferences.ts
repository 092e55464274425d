import { invalid } from "@evented/core";
import { KINDS, LOCKED_KINDS } from "./messages.ts";
import type { ChannelName } from "./schema.ts";

/** One cell of the matrix: a kind on a channel, on or off. */
export interface Preference {
  kind: string;
  channel: ChannelName;
  enabled: boolean;
  /** Cannot be switched off (LOCKED_KINDS). */
  locked: boolean;
}

/** Every kind and channel the policy can send, with what the user switched off applied (default: on). */
export function matrix(switched: { kind: string; channel: string; enabled: boolean }[]): Preference[] {
  const set = new Map(switched.map((p) => [`${p.kind}/${p.channel}`, p.enabled]));
  return Object.entries(KINDS).flatMap(([kind, channels]) =>
    channels.map((channel) => {
      const locked = LOCKED_KINDS.has(kind);
      return { kind, channel, enabled: locked || (set.get(`${kind}/${channel}`) ?? true), locked };
    }),
  );
}

/** A change as asked: each kind and channel must be one the policy sends; a locked kind stays on. */
export function checkChange(changes: { kind: string; channel: string; enabled: boolean }[]): { kind: string; channel: ChannelName; enabled: boolean }[] {
  if (changes.length > 100) throw invalid("at most 100 preferences a request");
  const seen = new Set<string>();
  return changes.map(({ kind, channel, enabled }) => {
    // Own keys only: "constructor" is no kind.
    const channels = Object.hasOwn(KINDS, kind) ? (KINDS as Record<string, readonly string[]>)[kind] : undefined;
    if (!channels) throw invalid(`unknown kind "${kind}" (kinds: ${Object.keys(KINDS).join(", ")})`);
    // One answer per cell: PostgreSQL cannot upsert the same row twice in one statement.
    if (seen.has(`${kind}/${channel}`)) throw invalid(`${kind} on ${channel} is given more than once`);
    seen.add(`${kind}/${channel}`);
    if (!channels.includes(channel)) throw invalid(`${kind} is not sent by ${channel} (it is sent by ${channels.join(", ")})`);
    if (LOCKED_KINDS.has(kind) && !enabled) throw invalid(`${kind} cannot be switched off: it is how you get into your account`);
    return { kind, channel: channel as ChannelName, enabled };
  });
}

/** The channels of a message the user switched off for its kind (never a locked kind's). */
export function switchedOff(kind: string, channels: ChannelName[], off: { channel: string; enabled: boolean }[]): Set<ChannelName> {
  if (LOCKED_KINDS.has(kind)) return new Set();
  return new Set(channels.filter((c) => off.some((p) => p.channel === c && !p.enabled)));
}
