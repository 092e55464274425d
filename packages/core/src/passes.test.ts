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
