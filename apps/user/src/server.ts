import { type Logger, unaryHandlers } from "@evented/core";
import type { userV1 } from "@evented/proto";
import type { User, UserService } from "./service.ts";

/** gRPC <-> domain: nothing else lives here. */
export function userServer(users: UserService, log: Logger): userV1.UserServiceServer {
  return unaryHandlers<userV1.UserServiceServer>(log, {
    createUser: async (req, ctx) => ({
      user: toProto(await users.create(req, { ...ctx, idempotencyKey: req.idempotencyKey || undefined })),
    }),
    getUser: async (req) => ({ user: toProto(await users.get(req.id)) }),
    updateUser: async (req, ctx) => ({ user: toProto(await users.update(req.id, req, ctx)) }),
    deleteUser: async (req, ctx) => {
      await users.delete(req.id, ctx);
      return {};
    },
    listUsers: async (req) => {
      const page = await users.list(req.pageSize, req.pageToken);
      return { users: page.users.map(toProto), nextPageToken: page.nextPageToken };
    },
  });
}

function toProto(user: User): userV1.User {
  return { ...user, createdAt: user.createdAt.toISOString(), updatedAt: user.updatedAt.toISOString() };
}
