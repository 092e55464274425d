// For admins: is everything up, how far behind the outboxes and consumers are, and the dead
// letters with their reason, a replay button (after the cause is fixed) and a discard button (for
// an event never to be applied; it asks first, as the event is erased).
import { useEffect, useState } from "react";
import { api, ok, when } from "../api.ts";
import { FormError, Section, useAction } from "../forms.tsx";

type Ops = NonNullable<Awaited<ReturnType<typeof api.admin.ops.get>>["data"]>;
type DeadLetter = NonNullable<Awaited<ReturnType<(typeof api.admin)["dead-letters"]["get"]>>["data"]>["dead_letters"][number];

export function Operations() {
  const [ops, setOps] = useState<Ops>();
  const [letters, setLetters] = useState<DeadLetter[]>([]);
  const [settled, setSettled] = useState<string>();
  const [discarding, setDiscarding] = useState<string>();
  const action = useAction();
  const load = async () => {
    const [o, d] = await Promise.all([api.admin.ops.get(), api.admin["dead-letters"].get({ query: {} })]);
    setOps(ok(o));
    setLetters(ok(d).dead_letters);
  };
  /** Replays or discards (`call`) a dead letter, then shows the list without it. */
  const settle = (id: string, done: string, call: () => Promise<Parameters<typeof ok>[0]>) =>
    void action.run(async () => {
      ok(await call());
      setSettled(`Dead letter ${id} is ${done}.`);
      setDiscarding(undefined);
      await load();
    });
  // biome-ignore lint/correctness/useExhaustiveDependencies: once
  useEffect(() => void action.run(load), []);
  return (
    <>
      <Section title="Operations">
        <FormError error={action.form} />
        <button type="button" disabled={action.busy} onClick={() => void action.run(load)}>
          Refresh
        </button>
        {ops && (
          <>
            <h3>Readiness: {ops.readiness.status}</h3>
            <ul>
              {Object.entries(ops.readiness.checks).map(([name, state]) => (
                <li key={name}>
                  {name}: {String(state)}
                </li>
              ))}
            </ul>
            {ops.unavailable.length > 0 && <p className="error">Could not ask: {ops.unavailable.join(", ")}</p>}
            <h3>Outbox backlog</h3>
            <div className="table">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Service</th>
                    <th scope="col">Unpublished events</th>
                    <th scope="col">Oldest (s)</th>
                  </tr>
                </thead>
                <tbody>
                  {ops.outbox.map((o) => (
                    <tr key={o.service}>
                      <td>{o.service}</td>
                      <td>{o.pending}</td>
                      <td>{o.oldest_age_seconds}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <h3>Consumer lag</h3>
            <div className="table">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Consumer</th>
                    <th scope="col">Waiting</th>
                    <th scope="col">Being handled</th>
                    <th scope="col">Redelivered</th>
                    <th scope="col">Dead letters</th>
                  </tr>
                </thead>
                <tbody>
                  {ops.consumers.map((c) => (
                    <tr key={`${c.service}/${c.consumer}`}>
                      <td>
                        {c.service}: {c.consumer}
                      </td>
                      <td>{c.pending}</td>
                      <td>{c.ack_pending}</td>
                      <td>{c.redelivered}</td>
                      <td>{c.dead_letters}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </Section>
      <Section title="Dead letters">
        {settled && <p role="status">{settled}</p>}
        {letters.length === 0 && <p>None waiting.</p>}
        <ol className="cards" aria-label="Dead letters">
          {letters.map((d) => (
            <li key={d.id} className="card">
              <h3>
                {d.event_type} <span className="meta">({d.id})</span>
              </h3>
              <p className="meta">
                {d.consumer} · {d.subject} · {d.deliveries} deliveries · <time dateTime={d.failed_at}>{when(d.failed_at)}</time>
              </p>
              <p className="body">Reason: {d.reason}</p>
              {discarding === d.id ? (
                <>
                  <p>Discard it? The event it held is erased and never applied.</p>
                  <div className="row">
                    <button
                      type="button"
                      className="danger"
                      aria-label={`Yes, discard dead letter ${d.id}`}
                      disabled={action.busy}
                      onClick={() => settle(d.id, "discarded", () => api.admin["dead-letters"]({ id: d.id }).delete())}
                    >
                      Yes, discard it
                    </button>
                    <button type="button" onClick={() => setDiscarding(undefined)}>
                      Keep it
                    </button>
                  </div>
                </>
              ) : (
                <div className="row">
                  <button
                    type="button"
                    aria-label={`Replay dead letter ${d.id}`}
                    disabled={action.busy}
                    onClick={() => settle(d.id, "replayed", () => api.admin["dead-letters"]({ id: d.id }).replay.post())}
                  >
                    Replay
                  </button>
                  <button type="button" aria-label={`Discard dead letter ${d.id}`} disabled={action.busy} onClick={() => setDiscarding(d.id)}>
                    Discard
                  </button>
                </div>
              )}
            </li>
          ))}
        </ol>
      </Section>
    </>
  );
}
