// What the user was told, newest first, live: a new one appears without a reload.
import { when } from "../api.ts";
import { useFeed } from "../feed.tsx";
import { Section } from "../forms.tsx";

export function Notifications() {
  const { notifications, live } = useFeed();
  return (
    <Section title="Notifications">
      <p className="status" role="status">
        {live ? "Live: new notifications appear here as they happen." : "Reconnecting…"}
      </p>
      <ol className="cards" aria-live="polite" aria-label="Notifications">
        {notifications.map((n) => (
          <li key={n.id} className="card" data-kind={n.kind}>
            <h3>{n.subject}</h3>
            <p className="meta">
              {n.kind.replaceAll("_", " ")} · <time dateTime={n.created_at}>{when(n.created_at)}</time>
            </p>
            <p className="body">{n.body}</p>
            <ul className="deliveries" aria-label="Deliveries">
              {n.deliveries.map((d) => (
                <li key={d.channel}>
                  {d.channel}: {d.status}
                  {d.last_error && ` (${d.last_error.replaceAll("_", " ")})`}
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ol>
      {notifications.length === 0 && <p>Nothing yet.</p>}
    </Section>
  );
}
