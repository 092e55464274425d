// Sign up, log in, and the pages the emailed links open (the token is after `#token=`, which the
// browser never sends to a server).

import { LoginFailed } from "@evented/client";
import { useEffect, useState } from "react";
import { api, failure, ok, session } from "../api.ts";
import { Field, FormError, formValues, Section, useAction } from "../forms.tsx";

export function SignUp() {
  const action = useAction(["name", "email", "phone", "password"]);
  const [sentTo, setSentTo] = useState<string>();
  if (sentTo) {
    return (
      <Section title="Check your email">
        <p role="status">
          We sent a link to <strong>{sentTo}</strong>. Open it to confirm your address, then <a href="/#/login">log in</a>.
        </p>
      </Section>
    );
  }
  return (
    <Section title="Sign up">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const { name = "", email = "", phone = "", password = "" } = formValues(e.currentTarget);
          void action.run(async () => {
            const user = ok(await api.users.post({ name, email, password, ...(phone && { phone }) }));
            setSentTo(user.email);
          });
        }}
      >
        <Field label="Name" name="name" autoComplete="name" required error={action.field("name")} />
        <Field label="Email" name="email" type="email" autoComplete="email" required error={action.field("email")} />
        <Field
          label="Phone (optional)"
          name="phone"
          type="tel"
          autoComplete="tel"
          hint="In international form, e.g. +14155550123"
          error={action.field("phone")}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          hint="At least 8 characters; a long passphrase is best"
          error={action.field("password")}
        />
        <FormError error={action.form} />
        <button type="submit" disabled={action.busy}>
          Sign up
        </button>
      </form>
    </Section>
  );
}

export function Login({ onLoggedIn }: { onLoggedIn: () => Promise<void> }) {
  const action = useAction(["email", "password"]);
  return (
    <Section title="Log in">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const { email = "", password = "" } = formValues(e.currentTarget);
          void action.run(async () => {
            // The session's own call, so it keeps the tokens; a refusal carries the API's error body.
            await session.login(email, password).catch((err) => {
              throw err instanceof LoginFailed ? failure(err.status, err.body) : err;
            });
            await onLoggedIn();
          });
        }}
      >
        <Field label="Email" name="email" type="email" autoComplete="email" required error={action.field("email")} />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required error={action.field("password")} />
        <FormError error={action.form} />
        <button type="submit" disabled={action.busy}>
          Log in
        </button>
      </form>
      <p>
        New here? <a href="/#/signup">Sign up</a>.
      </p>
    </Section>
  );
}

const linkToken = () => new URLSearchParams(location.hash.slice(1)).get("token") ?? "";

export function VerifyEmail() {
  const [state, setState] = useState<{ done?: boolean; error?: string }>({});
  useEffect(() => {
    void (async () => {
      try {
        ok(await api.auth["verify-email"].post({ token: linkToken() }));
        setState({ done: true });
      } catch (err) {
        setState({ error: err instanceof Error ? err.message : String(err) });
      }
    })();
  }, []);
  return (
    <Section title="Confirm your email">
      {state.done && (
        <p role="status">
          Your email address is confirmed. <a href="/#/login">Log in</a>.
        </p>
      )}
      <FormError error={state.error} />
      {!state.done && !state.error && <p role="status">Confirming…</p>}
    </Section>
  );
}

export function SetPassword({ invitation }: { invitation: boolean }) {
  const action = useAction(["new_password"]);
  const [done, setDone] = useState(false);
  return (
    <Section title={invitation ? "Accept your invitation" : "Choose a new password"}>
      {done ? (
        <p role="status">
          Your password is set. <a href="/#/login">Log in</a>.
        </p>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const { new_password = "" } = formValues(e.currentTarget);
            void action.run(async () => {
              ok(await api.auth["password-reset"].confirm.post({ token: linkToken(), new_password }));
              setDone(true);
            });
          }}
        >
          <Field label="New password" name="new_password" type="password" autoComplete="new-password" required error={action.field("new_password")} />
          <FormError error={action.form} />
          <button type="submit" disabled={action.busy}>
            Set password
          </button>
        </form>
      )}
    </Section>
  );
}
