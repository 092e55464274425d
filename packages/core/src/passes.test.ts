import { expect, test } from "bun:test";
import { Passes } from "./passes.ts";

test("kicks during a pass coalesce into one more pass after it; none start after stop", async () => {
  let passes = 0;
  let release: () => void = () => {};
  const runner = new Passes(async () => {
    passes++;
    await new Promise<void>((resolve) => (release = resolve));
  }, 60_000);
  runner.kick();
  expect(passes).toBe(1);
  runner.kick();
  runner.kick(); // both coalesce into one more pass
  expect(passes).toBe(1);
  release();
  await Bun.sleep(0);
  expect(passes).toBe(2);
  const stopped = runner.stop();
  runner.kick(); // after stop: ignored
  release();
  await stopped; // waited for the pass in flight
  expect(passes).toBe(2);
});

test("kick(n) asks for n passes from now: during a pass, n more after it, however kicks coalesce", async () => {
  let passes = 0;
  let release: () => void = () => {};
  const runner = new Passes(async () => {
    passes++;
    await new Promise<void>((resolve) => (release = resolve));
  }, 60_000);
  runner.kick(2); // one at once, one owed
  expect(passes).toBe(1);
  release();
  await Bun.sleep(0);
  expect(passes).toBe(2);
  runner.kick(); // a commit's wake while a pass runs (it may not see that commit)...
  runner.kick(2); // ...and the commit's second event of one aggregate: two passes after this one
  release();
  await Bun.sleep(0);
  expect(passes).toBe(3);
  release();
  await Bun.sleep(0);
  expect(passes).toBe(4);
  release();
  await Bun.sleep(0);
  expect(passes).toBe(4); // nothing more was asked for
  await runner.stop();
});
