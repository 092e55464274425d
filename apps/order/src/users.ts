import { connectService, isServiceError, type PromiseClient, status, unavailable } from "@evented/core";
import { userV1 } from "@evented/proto";
import type { UserDirectory } from "./service.ts";

/** Asks the user service whether a user exists, with a deadline; an outage is UNAVAILABLE, not "no". */
export function userDirectory(address: string, deadlineMs: number): UserDirectory & { close(): void } {
  const client: PromiseClient<userV1.UserServiceClient> = connectService(userV1.UserServiceClient, address, {
    deadlineMs,
    retryable: ["GetUser"],
  });
  return {
    async exists(userId, ctx) {
      try {
        await client.getUser({ id: userId }, ctx);
        return true;
      } catch (err) {
        if (isServiceError(err) && err.code === status.NOT_FOUND) return false;
        throw unavailable(`the user service could not be asked about user ${userId}: ${isServiceError(err) ? err.details : String(err)}`);
      }
    },
    close: () => client.close(),
  };
}
