// Every user, newest first, a page at a time (admins only: the API answers 403 to anyone else).
import { useEffect, useState } from "react";
import { api, ok, when } from "../api.ts";
import { FormError, Section, useAction } from "../forms.tsx";

type User = NonNullable<Awaited<ReturnType<typeof api.users.get>>["data"]>["users"][number];

export function AdminUsers() {
  const [users, setUsers] = useState<User[]>([]);
  const [next, setNext] = useState<string>();
  const action = useAction();
  const load = (page_token?: string) =>
    action.run(async () => {
      const page = ok(await api.users.get({ query: { page_size: 50, ...(page_token && { page_token }) } }));
      setUsers((u) => (page_token ? [...u, ...page.users] : page.users));
      setNext(page.next_page_token || undefined);
    });
  // biome-ignore lint/correctness/useExhaustiveDependencies: the first page, once
  useEffect(() => void load(), []);
  return (
    <Section title="Users">
      <FormError error={action.form} />
      <div className="table">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Verified</th>
              <th scope="col">Since</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id}>
                <td>{u.name}</td>
                <td>{u.email}</td>
                <td>{u.role}</td>
                <td>{u.email_verified ? "yes" : "no"}</td>
                <td>{when(u.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {next && (
        <button type="button" disabled={action.busy} onClick={() => void load(next)}>
          More users
        </button>
      )}
    </Section>
  );
}
