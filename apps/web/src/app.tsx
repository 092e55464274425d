// The shell: who is signed in, the navigation, and which page the address names. The app's pages
// are after `#` (`/#/orders`); the paths the emailed links open are pages of their own.
import { useEffect, useState } from "react";
import { api, ok, session } from "./api.ts";
import { FeedProvider } from "./feed.tsx";
import { AdminOrders } from "./pages/admin-orders.tsx";
import { AdminUsers } from "./pages/admin-users.tsx";
import { Login, SetPassword, SignUp, VerifyEmail } from "./pages/auth.tsx";
import { MyOrders } from "./pages/my-orders.tsx";
import { Notifications } from "./pages/notifications.tsx";
import { Operations } from "./pages/operations.tsx";
import { Preferences } from "./pages/preferences.tsx";
import { Profile } from "./pages/profile.tsx";
import { Shop } from "./pages/shop.tsx";

export type Me = NonNullable<Awaited<ReturnType<typeof api.me.get>>["data"]>;

const useHash = () => {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return hash.replace(/^#\/?/, "");
};

const go = (page: string) => {
  if (location.pathname !== "/") location.assign(`/#/${page}`);
  else location.hash = `/${page}`;
};

export function App() {
  const [me, setMe] = useState<Me>();
  const page = useHash();
  const signedIn = async () => setMe(ok(await api.me.get()));
  const logOut = async () => {
    await session.logout();
    setMe(undefined);
    go("login");
  };

  const link = location.pathname;
  if (link === "/verify-email")
    return (
      <Shell>
        <VerifyEmail />
      </Shell>
    );
  if (link === "/reset-password" || link === "/accept-invitation")
    return (
      <Shell>
        <SetPassword invitation={link === "/accept-invitation"} />
      </Shell>
    );

  if (!me) {
    return (
      <Shell
        nav={[
          ["login", "Log in"],
          ["signup", "Sign up"],
        ]}
        page={page}
      >
        {page === "signup" ? <SignUp /> : <Login onLoggedIn={signedIn} />}
      </Shell>
    );
  }
  const pages: [string, string][] = [
    ["shop", "Shop"],
    ["orders", "My orders"],
    ["notifications", "Notifications"],
    ["preferences", "Preferences"],
    ["profile", "Profile"],
    ...(me.role === "admin"
      ? ([
          ["admin/users", "Users"],
          ["admin/orders", "All orders"],
          ["admin/ops", "Operations"],
        ] as [string, string][])
      : []),
  ];
  const current = pages.some(([p]) => p === page) ? page : "shop";
  return (
    <FeedProvider me={me}>
      <Shell nav={pages} page={current} me={me} onLogOut={logOut}>
        {current === "shop" && <Shop me={me} />}
        {current === "orders" && <MyOrders me={me} />}
        {current === "notifications" && <Notifications />}
        {current === "preferences" && <Preferences />}
        {current === "profile" && <Profile me={me} onChanged={setMe} onDeleted={logOut} />}
        {current === "admin/users" && <AdminUsers />}
        {current === "admin/orders" && <AdminOrders />}
        {current === "admin/ops" && <Operations />}
      </Shell>
    </FeedProvider>
  );
}

function Shell({
  nav = [],
  page,
  me,
  onLogOut,
  children,
}: {
  nav?: [string, string][];
  page?: string;
  me?: Me;
  onLogOut?: () => void;
  children: React.ReactNode;
}) {
  return (
    <>
      <header>
        <a className="brand" href="/#/">
          evented shop
        </a>
        <nav aria-label="Main">
          <ul>
            {nav.map(([p, label]) => (
              <li key={p}>
                <a href={`/#/${p}`} aria-current={p === page ? "page" : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        {me && (
          <div className="who">
            <span>{me.name}</span>
            <button type="button" onClick={onLogOut}>
              Log out
            </button>
          </div>
        )}
      </header>
      <main>{children}</main>
    </>
  );
}
