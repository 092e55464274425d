import {
  type CallContext,
  type CallerAuth,
  callerKey,
  checkId,
  ensureAccess,
  invalid,
  type Logger,
  permissionDenied,
  ROLES,
  type Role,
  requireAdmin,
  unaryHandlers,
} from "@evented/core";
import type { userV1 } from "@evented/proto";
import type { User, UserService } from "./service.ts";

/** gRPC <-> domain, and who may call what: a user sees and changes their own account, an admin any. */
export function userServer(users: UserService, log: Logger, auth?: CallerAuth): userV1.UserServiceServer {
  return unaryHandlers<userV1.UserServiceServer>(
    log,
    {
      createUser: async (req, ctx) => {
        // A sign-up without a token is nobody yet: its key is its address's, so strangers' keys never meet.
        const scope = ctx.caller ?? { userId: `-${req.email.trim().toLowerCase()}` };
        return { user: toProto(await users.create(signUp(req, ctx, auth !== undefined), { ...ctx, idempotencyKey: callerKey(scope, req.idempotencyKey) })) };
      },
      getUser: async (req, ctx) => ({ user: toProto(await users.get(owned(ctx, req.id, auth))) }),
      updateUser: async (req, ctx) => ({ user: toProto(await users.update(owned(ctx, req.id, auth), req, ctx)) }),
      deleteUser: async (req, ctx) => {
        await users.delete(owned(ctx, req.id, auth), ctx);
        return {};
      },
      listUsers: async (req, ctx) => {
        if (auth) requireAdmin(ctx);
        const page = await users.list(req.pageSize, req.pageToken);
        return { users: page.users.map(toProto), nextPageToken: page.nextPageToken };
      },
    },
    auth && { ...auth, open: ["createUser"] },
  );
}

/** Anyone may sign up, with a password, as a customer; an admin may also invite (no password) and make admins. */
function signUp(req: userV1.CreateUserRequest, ctx: CallContext, checked: boolean) {
  const role = (req.role || "customer") as Role;
  if (!ROLES.includes(role)) throw permissionDenied(`role must be one of ${ROLES.join(", ")}`);
  const admin = ctx.caller?.role === "admin" || !checked;
  if (!admin && role !== "customer") throw permissionDenied("only an admin may create an admin");
  if (!admin && !req.password) throw invalid("password is required to sign up (only an admin may invite a user without one)");
  return { name: req.name, email: req.email, phone: req.phone, password: req.password || undefined, role };
}

function owned(ctx: CallContext, id: string, auth: CallerAuth | undefined): string {
  const checked = checkId("id", id);
  if (auth) ensureAccess(ctx, checked, `user ${checked}`);
  return checked;
}

export function toProto(user: User): userV1.User {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    phone: user.phone,
    role: user.role,
    emailVerified: user.emailVerifiedAt !== null,
    pendingEmail: user.pendingEmail ?? "",
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}
