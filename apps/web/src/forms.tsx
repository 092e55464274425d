// Form pieces: every input has a label, an error is shown under its field (and announced), and a
// form's own error above its button.
import { type InputHTMLAttributes, type ReactNode, useId, useState } from "react";
import { ApiFailure, errorsByField } from "./api.ts";

export function Field({ label, error, hint, ...input }: { label: string; error?: string; hint?: string } & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  const described = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ") || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={described} {...input} />
      {hint && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
      {error && (
        <p id={`${id}-error`} className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

export function FormError({ error }: { error?: string }) {
  return error ? (
    <p className="error" role="alert">
      {error}
    </p>
  ) : null;
}

/** Runs an API call for a form: busy while it runs, its error split by field (errorsByField). */
export function useAction(fields: readonly string[] = []) {
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<{ form?: string; fields: Record<string, string> }>({ fields: {} });
  async function run(work: () => Promise<void>) {
    setBusy(true);
    setErrors({ fields: {} });
    try {
      await work();
    } catch (err) {
      setErrors(err instanceof ApiFailure ? errorsByField(err.body, fields) : { form: String(err), fields: {} });
    } finally {
      setBusy(false);
    }
  }
  return { busy, run, form: errors.form, field: (name: string) => errors.fields[name] };
}

/** The form's fields as strings, by input name. */
export const formValues = (form: HTMLFormElement) => Object.fromEntries([...new FormData(form)].map(([k, v]) => [k, String(v)]));

export function Section({ title, children }: { title: string; children: ReactNode }) {
  const id = useId();
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}
