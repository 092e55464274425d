// TokenVerifier's key-set cache, with key sets handed in by a function (the real source is the
// user service, exercised end to end in e2e/auth-keys.test.ts).
import { expect, test } from "bun:test";
import { exportJWK, generateKeyPair, type JSONWebKeySet, type JWK, SignJWT } from "jose";
import { TOKEN_ALG, TokenVerifier } from "./auth.ts";

const claims = { issuer: "test-issuer", audience: "test-audience" };

async function signingKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALG, { crv: "Ed25519" });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: TOKEN_ALG, use: "sig" };
  const sign = (sub: string, expiresIn: string | number = "5m") =>
    new SignJWT({ role: "customer" })
      .setProtectedHeader({ alg: TOKEN_ALG, kid, typ: "at+jwt" })
      .setSubject(sub)
      .setIssuer(claims.issuer)
      .setAudience(claims.audience)
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .setJti(crypto.randomUUID())
      .sign(privateKey);
  return { jwk, sign };
}

test("a token of a key published just after the last fetch is verified, not refused; junk kids fetch at most once per interval", async () => {
  const [oldKey, newKey, junkKey] = await Promise.all([signingKey("old"), signingKey("new"), signingKey("junk")]);
  let published: JSONWebKeySet = { keys: [oldKey.jwk] };
  let fetches = 0;
  const verifier = new TokenVerifier(
    claims,
    async () => {
      fetches++;
      return published;
    },
    300,
  );

  expect(await verifier.verify(await oldKey.sign("a"))).toEqual({ userId: "a", role: "customer" });
  expect(fetches).toBe(1);

  // Rotated moments after that fetch: the new kid waits for the next allowed fetch, then passes.
  published = { keys: [newKey.jwk, oldKey.jwk] };
  expect(await verifier.verify(await newKey.sign("b"))).toEqual({ userId: "b", role: "customer" });
  expect(fetches).toBe(2);

  // Twenty concurrent tokens of a key nobody publishes: one fetch among them, all refused as invalid.
  const junk = await Promise.all(Array.from({ length: 20 }, async (_, i) => verifier.verify(await junkKey.sign(`j${i}`)).catch((e: Error) => e.message)));
  expect(new Set(junk)).toEqual(new Set(["the access token is not valid"]));
  expect(fetches).toBe(3);
  // Known keys keep verifying from the cache.
  await verifier.verify(await oldKey.sign("c"));
  expect(fetches).toBe(3);
});

test("a verified token is remembered while its key is published, never past its exp nor past a fetch without its key (a retired key's tokens stop passing)", async () => {
  const [oldKey, newKey] = await Promise.all([signingKey("old"), signingKey("new")]);
  let published: JSONWebKeySet = { keys: [oldKey.jwk] };
  let fetches = 0;
  const fetchJwks = async () => {
    fetches++;
    return published;
  };
  const verifier = new TokenVerifier(claims, fetchJwks, 300, 400);

  // The same token again: the remembered answer (the very same object), no second check.
  const token = await oldKey.sign("a");
  const first = await verifier.verify(token);
  expect(await verifier.verify(token)).toBe(first);

  // The key set is due again and still has the key: fetched, and the answer still remembered.
  await Bun.sleep(450);
  expect(await verifier.verify(token)).toBe(first);
  expect(fetches).toBe(2);

  // A token of a key taken out of the set: refused once the key set is due to be fetched again.
  published = { keys: [newKey.jwk] };
  await Bun.sleep(450);
  expect(await verifier.verify(token).catch((e: Error) => e.message)).toBe("the access token is not valid");
  expect(fetches).toBeGreaterThanOrEqual(3); // asked again: the scheduled fetch (and one for the kid it then misses, timing permitting)

  // A token remembered is checked again from its exp on (here it then passes on the clock tolerance).
  const short = new TokenVerifier(claims, fetchJwks);
  const soon = await newKey.sign("b", Math.floor(Date.now() / 1000) + 1);
  const before = await short.verify(soon);
  expect(await short.verify(soon)).toBe(before);
  await Bun.sleep(1100);
  const after = await short.verify(soon);
  expect(after).toEqual(before);
  expect(after).not.toBe(before);
});

test("when the remembered tokens are at their bound, the one used least recently is checked again, not the one remembered first", async () => {
  const key = await signingKey("k");
  const verifier = new TokenVerifier(claims, async () => ({ keys: [key.jwk] }), 1000, 300_000, 3);
  const [a, b, c, d] = await Promise.all(["a", "b", "c", "d"].map((sub) => key.sign(sub)));
  const first = { a: await verifier.verify(a!), b: await verifier.verify(b!), c: await verifier.verify(c!) };

  // `a` was remembered first but is used again, so `d` pushes out `b`.
  expect(await verifier.verify(a!)).toBe(first.a);
  await verifier.verify(d!);
  expect(await verifier.verify(a!)).toBe(first.a); // remembered: the very same answer
  const again = await verifier.verify(b!);
  expect(again).toEqual(first.b);
  expect(again).not.toBe(first.b); // checked again
});
