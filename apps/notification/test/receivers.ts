// Real receivers for tests: an SMTP server (smtp-server, messages parsed by mailparser) and an
// HTTP endpoint standing in for an SMS or push provider. Both record exactly what arrived.
import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  /** RCPT TO addresses, as the server saw them. */
  to: string[];
  /** The user that authenticated, when the client logged in. */
  user: string | undefined;
  mail: ParsedMail;
}

export const SMTP_USER = "mailer";
export const SMTP_PASS = "s3cret-pass";

/**
 * An SMTP server on a free port that requires AUTH (user mailer, password s3cret-pass).
 * `rejectRecipient` may return an SMTP reply code to refuse an address (e.g. 550).
 */
export async function startSmtpReceiver(rejectRecipient: (address: string) => number | undefined = () => undefined) {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    logger: false,
    // Plain TCP on localhost: no STARTTLS with the built-in test certificate, AUTH allowed without TLS.
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASS) callback(null, { user: auth.username });
      else callback(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      const code = rejectRecipient(address.address);
      callback(code ? Object.assign(new Error(`mailbox ${address.address} unavailable`), { responseCode: code }) : null);
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          received.push({ to: session.envelope.rcptTo.map((r) => r.address), user: session.user as string | undefined, mail });
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://${SMTP_USER}:${SMTP_PASS}@127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface ReceivedRequest {
  headers: Headers;
  body: Record<string, string>;
}

/** An HTTP provider on a free port; `status(n)` answers the n-th request (1-based), 200 by default. */
export function startWebhookReceiver(status: (n: number) => number = () => 200) {
  const received: ReceivedRequest[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      received.push({ headers: req.headers, body: (await req.json()) as Record<string, string> });
      const code = status(received.length);
      return new Response(code < 300 ? '{"accepted":true}' : '{"error":"provider says no"}', { status: code });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/messages`, received, stop: () => server.stop(true) };
}
