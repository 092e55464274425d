// Emails with a single-use link (verify an address, reset a password, accept an invitation). The
// token arrives sealed in the event (AccountEmailRequested; packages/core/src/sealed.ts) and is
// stored sealed; it is opened only to send, put into the link there, and the sealed copy is
// cleared once the email is sent or given up. Listings show `{{link}}` as LINK_HIDDEN.
import { unseal } from "@evented/core";

export const LINK = "{{link}}";
export const LINK_HIDDEN = "[the link is in the email]";

/** The page of the frontend each link opens; the token is in the fragment, which browsers never send to a server. */
const PAGES: Record<string, string> = {
  verify_email: "verify-email",
  password_reset: "reset-password",
  invitation: "accept-invitation",
};

export interface LinkSettings {
  /** AUTH_EMAIL_KEY, shared with the user service. */
  emailKey: Uint8Array<ArrayBuffer>;
  /** APP_URL: where the frontend's pages are. */
  appUrl: string;
}

/** The body to send: `{{link}}` replaced by the link, the token opened for this user and purpose only. */
export async function withLink(settings: LinkSettings, n: { userId: string; kind: string; body: string; sealedToken: Uint8Array | null }): Promise<string> {
  if (!n.sealedToken) return n.body;
  const token = await unseal(settings.emailKey, n.sealedToken, `${n.userId}:${n.kind}`);
  const link = `${settings.appUrl.replace(/\/$/, "")}/${PAGES[n.kind] ?? n.kind}#token=${encodeURIComponent(token)}`;
  return n.body.replaceAll(LINK, link);
}
