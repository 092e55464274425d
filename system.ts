// The one description of the system's apps (eShop's AppHost): what each app is, what it listens
// on, its database, its durable consumers and what it needs. The launcher, the embedded
// infrastructure, the migration check, the dead-letter command, the test harness, the bench and the
// deployment check read it; `bun run new service <name>` adds an entry. Plain data, no imports, so
// anything (scripts, tests, the gateway) can read it.

export interface AppSpec {
  name: string;
  kind: "grpc" | "worker" | "gateway";
  /** gRPC (or HTTP for the gateway) port: its variable and default; 0 binds any free port. */
  port: { env: string; default: number };
  /** Its own PostgreSQL database, migrated at start from drizzle/<app>/. */
  database?: { name: string };
  /** Durable JetStream consumers (the dead-letter command and the lag gauges name them). */
  consumers?: readonly string[];
  /** The gRPC apps it calls (it reads <NAME>_SERVICE_URL for each), and whether it needs NATS. */
  dependsOn: { services: readonly string[]; nats: boolean };
  /** Terminal colour of its lines in `bun run dev`. */
  color: string;
}

/** The gRPC services and workers; `bun run new service <name>` adds one at the end. */
const SERVICES = [
  {
    name: "user",
    kind: "grpc",
    port: { env: "USER_PORT", default: 50051 },
    database: { name: "users" },
    dependsOn: { services: [], nats: true },
    color: "\x1b[36m",
  },
  {
    name: "order",
    kind: "grpc",
    port: { env: "ORDER_PORT", default: 50052 },
    database: { name: "orders" },
    consumers: ["order-on-user-created", "order-on-user-deleted"],
    dependsOn: { services: ["user"], nats: true },
    color: "\x1b[35m",
  },
  {
    name: "notification",
    kind: "worker",
    port: { env: "NOTIFICATION_PORT", default: 50053 },
    database: { name: "notifications" },
    consumers: ["notification"],
    dependsOn: { services: ["user"], nats: true },
    color: "\x1b[33m",
  },
] as const satisfies readonly AppSpec[];

/** The REST gateway in front of every service above (its /ready checks each of them). */
const GATEWAY = {
  name: "gateway",
  kind: "gateway",
  port: { env: "GATEWAY_PORT", default: 8080 },
  dependsOn: { services: SERVICES.map((s) => s.name), nats: false },
  color: "\x1b[32m",
} as const satisfies AppSpec;

export const APPS = [...SERVICES, GATEWAY] as const;

export type AppName = (typeof APPS)[number]["name"];
/** The apps with a database of their own. */
export type DatabaseApp = Extract<(typeof APPS)[number], { database: object }>["name"];

export const appNames = (): string[] => APPS.map((a) => a.name);

export function app(name: string): AppSpec {
  const found = (APPS as readonly AppSpec[]).find((a) => a.name === name);
  if (!found) throw new Error(`no app "${name}" in system.ts (apps: ${appNames().join(", ")})`);
  return found;
}

/** Where things of an app live, by convention (the generator writes them there). */
export const paths = (name: string) => ({
  entry: `apps/${name}/src/main.ts`,
  /** The entry bundled (scripts/build.ts): what production runs. */
  bundle: `apps/${name}/dist/main.js`,
  config: `apps/${name}/src/config.ts`,
  schema: `apps/${name}/src/schema.ts`,
  drizzleConfig: `apps/${name}/drizzle.config.ts`,
  migrations: `drizzle/${name}`,
  dockerfile: `apps/${name}/Dockerfile`,
  envFile: `deploy/env/${name}.env`,
});

const prefix = (name: string) => name.toUpperCase().replaceAll("-", "_");
/** The variable holding the connection string of an app's database, e.g. ORDER_DB_CONN. */
export const dbConnVar = (name: string) => `${prefix(name)}_DB_CONN`;
export const dbPoolVar = (name: string) => `${prefix(name)}_DB_POOL_SIZE`;
/** The variable another app reads to reach this one, e.g. USER_SERVICE_URL. */
export const serviceUrlVar = (name: string) => `${prefix(name)}_SERVICE_URL`;

export const withDatabase = () => (APPS as readonly AppSpec[]).filter((a) => a.database) as (AppSpec & { name: DatabaseApp })[];
export const withConsumers = () => (APPS as readonly AppSpec[]).filter((a) => a.consumers?.length);

/** The apps in start order, grouped: each group needs only the apps of earlier groups. */
export function startGroups(apps: readonly AppSpec[] = APPS): (AppSpec & { name: AppName })[][] {
  const groups: AppSpec[][] = [];
  const started = new Set<string>();
  let left = [...apps];
  while (left.length > 0) {
    const ready = left.filter((a) => a.dependsOn.services.every((s) => started.has(s) || !apps.some((x) => x.name === s)));
    if (ready.length === 0) throw new Error(`system.ts: a dependency cycle among ${left.map((a) => a.name).join(", ")}`);
    groups.push(ready);
    for (const a of ready) started.add(a.name);
    left = left.filter((a) => !ready.includes(a));
  }
  return groups as (AppSpec & { name: AppName })[][];
}
