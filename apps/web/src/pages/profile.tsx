// The user's own account: change name, email (a new one waits for its link), phone; delete it.
import { useState } from "react";
import { api, ok } from "../api.ts";
import type { Me } from "../app.tsx";
import { Field, FormError, formValues, Section, useAction } from "../forms.tsx";

export function Profile({ me, onChanged, onDeleted }: { me: Me; onChanged: (me: Me) => void; onDeleted: () => void }) {
  const save = useAction(["name", "email", "phone"]);
  const remove = useAction();
  const [saved, setSaved] = useState(false);
  const [confirming, setConfirming] = useState(false);
  return (
    <>
      <Section title="Profile">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const { name = "", email = "", phone = "" } = formValues(e.currentTarget);
            setSaved(false);
            void save.run(async () => {
              onChanged(ok(await api.users({ id: me.id }).patch({ name, email, phone })));
              setSaved(true);
            });
          }}
        >
          <Field label="Name" name="name" defaultValue={me.name} autoComplete="name" required error={save.field("name")} />
          <Field
            label="Email"
            name="email"
            type="email"
            defaultValue={me.email}
            autoComplete="email"
            required
            hint={me.pending_email ? `${me.pending_email} waits for the link we sent to it` : undefined}
            error={save.field("email")}
          />
          <Field label="Phone" name="phone" type="tel" defaultValue={me.phone} autoComplete="tel" hint="Empty removes it" error={save.field("phone")} />
          <FormError error={save.form} />
          {saved && <p role="status">Saved.</p>}
          <button type="submit" disabled={save.busy}>
            Save
          </button>
        </form>
      </Section>
      <Section title="Delete account">
        <p>Your account and open orders go; we send one last email to say goodbye.</p>
        <FormError error={remove.form} />
        {confirming ? (
          <div className="row">
            <button
              type="button"
              className="danger"
              disabled={remove.busy}
              onClick={() =>
                void remove.run(async () => {
                  ok(await api.users({ id: me.id }).delete());
                  onDeleted();
                })
              }
            >
              Yes, delete my account
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </div>
        ) : (
          <button type="button" className="danger" onClick={() => setConfirming(true)}>
            Delete my account
          </button>
        )}
      </Section>
    </>
  );
}
