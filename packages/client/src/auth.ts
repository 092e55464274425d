// Access tokens for the typed client: sent on every request, renewed once on a 401.

type Token = string | undefined;

export interface TokenOptions {
  /** The access token, or a function that returns the current one (asked before each request). */
  token?: Token | (() => Token | Promise<Token>);
  /** Renews the access token after a 401 (e.g. `session.refresh`); undefined: the 401 stands. */
  refresh?: () => Promise<Token>;
}

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Routes that never take an access token: a 401 there is the answer, not a reason to refresh. */
const OPEN = /\/auth\/(login|refresh|logout)$/;

export function authorizedFetch(options: TokenOptions, inner: Fetch): Fetch {
  const current = async () => (typeof options.token === "function" ? await options.token() : options.token);
  let renewing: Promise<Token> | undefined;
  // Concurrent 401s share one refresh: a refresh token works once.
  const renew = () => (renewing ??= options.refresh!().finally(() => (renewing = undefined)));
  const send = (input: string | URL | Request, init: RequestInit | undefined, token: Token) => {
    const headers = new Headers(init?.headers);
    if (token && !headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
    return inner(input, { ...init, headers });
  };
  return async (input, init) => {
    const res = await send(input, init, await current());
    if (res.status !== 401 || !options.refresh || OPEN.test(new URL(String(input instanceof Request ? input.url : input)).pathname)) return res;
    const renewed = await renew().catch(() => undefined);
    return renewed ? send(input, init, renewed) : res;
  };
}

/** A refused login: the status and the API's error body (`{"error":{"code","message","request_id"}}`). */
export class LoginFailed extends Error {
  readonly body: unknown;
  constructor(
    readonly status: number,
    text: string,
  ) {
    super(`login failed: ${status} ${text}`);
    this.body = (() => {
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    })();
  }
}

export interface Session {
  /** The current access token (pass as `token`). */
  token: () => Token;
  /** Uses the refresh token for a new pair (pass as `refresh`); undefined when it no longer works. */
  refresh: () => Promise<Token>;
  login(email: string, password: string): Promise<void>;
  logout(): Promise<void>;
}

/** Keeps a session's tokens in memory: `createClient(url, { token: s.token, refresh: s.refresh })`. */
export function createSession(baseUrl: string, inner: Fetch = fetch): Session {
  let access: Token;
  let refreshToken: Token;
  const post = (path: string, body: object) =>
    inner(new URL(path, baseUrl), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const keep = async (res: Response) => {
    if (!res.ok) {
      access = refreshToken = undefined;
      return false;
    }
    const s = (await res.json()) as { access_token: string; refresh_token: string };
    [access, refreshToken] = [s.access_token, s.refresh_token];
    return true;
  };
  return {
    token: () => access,
    refresh: async () => (refreshToken && (await keep(await post("/auth/refresh", { refresh_token: refreshToken }))) ? access : undefined),
    async login(email, password) {
      const res = await post("/auth/login", { email, password });
      if (!(await keep(res.clone() as Response))) {
        const text = await res.text();
        throw new LoginFailed(res.status, text);
      }
    },
    async logout() {
      if (refreshToken) await post("/auth/logout", { refresh_token: refreshToken });
      access = refreshToken = undefined;
    },
  };
}
