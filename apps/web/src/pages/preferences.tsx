// Which notifications the user gets, per kind and channel. The links into an account (verify,
// reset, invitation) are always sent: shown, not switchable. Only changed cells are sent.
import { useEffect, useState } from "react";
import { api, ok } from "../api.ts";
import { FormError, Section, useAction } from "../forms.tsx";

type Preference = NonNullable<Awaited<ReturnType<(typeof api.me)["notification-preferences"]["get"]>>["data"]>["preferences"][number];
const CHANNELS = ["email", "sms", "push"] as const;
const key = (p: { kind: string; channel: string }) => `${p.kind}/${p.channel}`;
const words = (kind: string) => kind.replaceAll("_", " ");

export function Preferences() {
  const [saved, setSaved] = useState<Preference[]>([]);
  const [enabled, setEnabled] = useState<Record<string, boolean>>({});
  const [done, setDone] = useState(false);
  const action = useAction(["preferences"]);
  const show = (list: Preference[]) => {
    setSaved(list);
    setEnabled(Object.fromEntries(list.map((p) => [key(p), p.enabled])));
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: once
  useEffect(() => void action.run(async () => show(ok(await api.me["notification-preferences"].get()).preferences)), []);
  const kinds = [...new Set(saved.map((p) => p.kind))];
  const changed = saved.filter((p) => enabled[key(p)] !== p.enabled);
  return (
    <Section title="Notification preferences">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setDone(false);
          void action.run(async () => {
            const preferences = changed.map((p) => ({ kind: p.kind, channel: p.channel, enabled: enabled[key(p)] ?? p.enabled }));
            show(ok(await api.me["notification-preferences"].put({ preferences })).preferences);
            setDone(true);
          });
        }}
      >
        <div className="table">
          <table>
            <thead>
              <tr>
                <th scope="col">Notification</th>
                {CHANNELS.map((c) => (
                  <th key={c} scope="col">
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {kinds.map((kind) => (
                <tr key={kind}>
                  <th scope="row">{words(kind)}</th>
                  {CHANNELS.map((channel) => {
                    const p = saved.find((x) => x.kind === kind && x.channel === channel);
                    const id = `pref-${kind}-${channel}`;
                    return (
                      <td key={channel}>
                        {p ? (
                          <>
                            <input
                              id={id}
                              type="checkbox"
                              checked={enabled[key(p)] ?? p.enabled}
                              disabled={p.locked}
                              onChange={(e) => {
                                const on = e.currentTarget.checked;
                                setEnabled((m) => ({ ...m, [key(p)]: on }));
                              }}
                            />
                            <label htmlFor={id} className="sr-only">
                              {words(kind)} by {channel}
                              {p.locked ? " (always sent)" : ""}
                            </label>
                          </>
                        ) : (
                          <span title="not sent on this channel">–</span>
                        )}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p className="hint">Links to confirm an address, reset a password or accept an invitation are always sent.</p>
        <FormError error={action.form ?? action.field("preferences")} />
        {done && <p role="status">Saved.</p>}
        <button type="submit" disabled={action.busy || changed.length === 0}>
          Save preferences
        </button>
      </form>
    </Section>
  );
}
