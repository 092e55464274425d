// deploy/k8s renders offline with `kubectl kustomize`, and every object it renders passes the
// schema of its kind: the Kubernetes API's (kubernetes-models) and the CRDs' (KEDA, Prometheus
// operator, CloudNativePG, from their @kubernetes-models packages). A kind with no validator fails
// the test, so nothing is rendered unchecked. (NATS is installed by its Helm chart from
// deploy/k8s/nats/*.yaml: values, not objects; checked below for what the system relies on.)
import { describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostPort, natsConfig } from "@evented/core";
import { ROOT } from "@evented/testing";
import { generateSigningJwk } from "../apps/user/src/auth/keys.ts";
import { APPS, appNames, dbConnVar, serviceUrlVar, withDatabase } from "../system.ts";

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON and YAML, read by the test field by field
type Json = any;

// Every app system.ts describes, a service made by `bun run new service` too (scripts/new.test.ts runs this file on one).
const services = APPS.filter((a) => a.kind !== "gateway");

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: Json; data?: Record<string, string> };

const kubectl = Bun.which("kubectl");

async function render(overlay: string): Promise<K8sObject[]> {
  const proc = Bun.spawn([kubectl!, "kustomize", join(ROOT, "deploy/k8s/overlays", overlay)], { stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  expect(code, err).toBe(0);
  return out
    .split(/^---$/m)
    .map((doc) => Bun.YAML.parse(doc) as K8sObject)
    .filter(Boolean);
}

/**
 * The commands the README's Kubernetes install block runs against the cluster, as they would run:
 * the block executed with kubectl, helm and kustomize stand-ins that only write their arguments down.
 */
function readmeInstall(): string[][] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const block = /^Install \(versions pinned[^\n]*\n+```bash\n([\s\S]*?)^```$/m.exec(readme)?.[1];
  expect(block, "the README's Kubernetes install block").toBeTruthy();
  const bin = mkdtempSync(join(tmpdir(), "readme-install-"));
  try {
    for (const tool of ["kubectl", "helm", "kustomize"]) {
      writeFileSync(join(bin, tool), `#!/bin/sh\nprintf '%s\\0' ${tool} "$@" >> "${bin}/calls"; printf '\\n' >> "${bin}/calls"\n`);
      chmodSync(join(bin, tool), 0o755);
    }
    const run = Bun.spawnSync(["bash", "-e", "-c", block!], { cwd: ROOT, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, stderr: "pipe" });
    expect(run.exitCode, run.stderr.toString()).toBe(0);
    return readFileSync(join(bin, "calls"), "utf8")
      .split("\0\n")
      .filter(Boolean)
      .map((call) => call.split("\0"));
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}

/** The model class of an apiVersion/kind, from the package that has its schema. */
async function model(apiVersion: string, kind: string): Promise<{ new (data: unknown): { validate(): void } }> {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const crds: Record<string, string> = {
    "keda.sh": "@kubernetes-models/keda",
    "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
    "postgresql.cnpg.io": "@kubernetes-models/cloudnative-pg",
  };
  const path = crds[group!] ? `${crds[group!]}/${group}/${version}/${kind}` : `kubernetes-models/${group ? `${group}/` : ""}${version}/${kind}`;
  const mod = await import(path).catch(() => undefined);
  if (!mod?.[kind]) throw new Error(`no schema for ${apiVersion} ${kind} (${path}): add its models package or do not render it`);
  return mod[kind];
}

describe.skipIf(!kubectl)("deploy/k8s", () => {
  if (!kubectl) console.warn("e2e/k8s.test.ts skipped: kubectl is not installed (scripts/test-prerequisites.sh installs it where apt has it)");

  test("the validators reject an object that breaks its schema (so passing means something)", async () => {
    const Deployment = await model("apps/v1", "Deployment");
    expect(() => new Deployment({ metadata: { name: "x" }, spec: { replicas: "two", selector: {}, template: {} } }).validate()).toThrow(/replicas/);
    const ScaledObject = await model("keda.sh/v1alpha1", "ScaledObject");
    expect(() => new ScaledObject({ metadata: { name: "x" }, spec: { triggers: [] } }).validate()).toThrow(/scaleTargetRef/);
  });

  for (const overlay of ["development", "production"]) {
    test(`${overlay}: renders, and every object passes its kind's schema`, async () => {
      const objects = await render(overlay);
      expect(objects.length).toBeGreaterThan(20);
      for (const object of objects) {
        const Model = await model(object.apiVersion, object.kind);
        try {
          new Model(object).validate();
        } catch (err) {
          throw new Error(`${object.kind}/${object.metadata.name}: ${err}`);
        }
      }
      // Secrets are referenced, never rendered (so never committed)
      expect(objects.filter((o) => o.kind === "Secret")).toEqual([]);
    });
  }

  test("production: what the system relies on is there", async () => {
    const objects = await render("production");
    const of = (kind: string) => objects.filter((o) => o.kind === kind);
    const deployments = of("Deployment");
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(appNames().sort());
    for (const d of deployments) {
      expect(d.spec.replicas).toBeGreaterThanOrEqual(2);
      expect(d.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
      const [c] = d.spec.template.spec.containers;
      expect(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory).toBeTruthy();
      // native probes: gRPC health for the services, HTTP for the gateway
      expect(d.metadata.name === "gateway" ? c.readinessProbe.httpGet.path : c.readinessProbe.grpc.port).toBe(
        d.metadata.name === "gateway" ? "/health" : c.ports[0].containerPort,
      );
      expect(c.livenessProbe && c.startupProbe).toBeTruthy();
      // Secrets by reference only: its database role, its NATS user's password, the auth keys.
      const natsUser = c.env?.find((e: Json) => e.name === "NATS_USER")?.value;
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (!ref) continue;
        expect([`evented-${d.metadata.name}-db`, "evented-nats", "evented-auth"]).toContain(ref.name);
        if (ref.name === "evented-nats") expect([e.name, ref.key]).toEqual(["NATS_PASSWORD", natsUser]);
      }
    }
    expect(of("PodDisruptionBudget")).toHaveLength(APPS.length);
    // each image pinned to the registry, under its app's name
    for (const d of deployments) expect(d.spec.template.spec.containers[0].image).toStartWith(`registry.example.com/evented/${d.metadata.name}:`);
    expect(of("HorizontalPodAutoscaler").map((h) => h.spec.scaleTargetRef.name)).toEqual(["gateway"]);

    // the apps accept the configuration as given, and the stream has 3 copies
    const config = of("ConfigMap")[0]!.data!;
    const nats = natsConfig(config);
    expect(nats.streamReplicas).toBe(3);
    expect(nats.natsUrl.split(",")).toHaveLength(3);
    for (const { name } of services) expect(hostPort(config, serviceUrlVar(name), "x:1")).toBe(config[serviceUrlVar(name)]!);

    // KEDA scales the worker on the lag of the consumer the worker really uses
    const [scaled] = of("ScaledObject");
    expect(scaled!.spec.scaleTargetRef.name).toBe("notification");
    const trigger = scaled!.spec.triggers[0];
    expect(trigger.type).toBe("nats-jetstream");
    expect(trigger.metadata.stream).toBe(config.NATS_STREAM);
    expect(readFileSync(join(ROOT, "apps/notification/src/subscriptions.ts"), "utf8")).toContain(`durable: "${trigger.metadata.consumer}"`);

    // only the gateway is open to everyone; each service only to its callers
    const policies = of("NetworkPolicy");
    expect(policies.find((p) => p.metadata.name === "default-deny-ingress")?.spec.podSelector).toEqual({});
    const callers = (app: string) =>
      policies
        .find((p) => p.spec.podSelector.matchLabels?.["app.kubernetes.io/name"] === app)!
        .spec.ingress.flatMap((r: Json) => (r.from ?? [{ anyone: true }]).map((f: Json) => f.podSelector?.matchLabels?.["app.kubernetes.io/name"] ?? "anyone"));
    expect(callers("gateway")).toEqual(["anyone"]);
    // each service from the apps whose dependsOn names it (system.ts), nothing else
    for (const { name } of services)
      expect({ name, callers: callers(name).sort() }).toEqual({
        name,
        callers: APPS.filter((a) => (a.dependsOn.services as readonly string[]).includes(name))
          .map((a) => a.name)
          .sort(),
      });

    // one database and role per service, 3 PostgreSQL instances
    const [cluster] = of("Cluster");
    expect(cluster!.spec.instances).toBe(3);
    expect(
      of("Database")
        .map((d) => [d.spec.name, d.spec.owner])
        .sort(),
    ).toEqual(
      withDatabase()
        .map((a) => [a.database!.name, `${a.name}_svc`])
        .sort(),
    );
    // each service's role, its password from the secret its Deployment reads, on its own database
    const roles = cluster!.spec.managed.roles.map((r: Json) => [r.name, r.passwordSecret.name]);
    for (const a of withDatabase()) {
      expect(roles).toContainEqual([`${a.name}_svc`, `evented-${a.name}-db`]);
      const env = deployments.find((d) => d.metadata.name === a.name)!.spec.template.spec.containers[0].env;
      expect(env.find((e: Json) => e.name === dbConnVar(a.name)).value).toEndWith(`@evented-pg-rw:5432/${a.database!.name}`);
    }
    expect(of("ServiceMonitor")).toHaveLength(1);
  });

  test("production: every app starts on what its Deployment gives it (its config accepts it, as the image runs it)", async () => {
    const objects = await render("production");
    const configMap = objects.find((o) => o.kind === "ConfigMap")!.data!;
    // What each secret would hold, made here: valid values of the right shape, never real ones.
    const secrets: Record<string, string> = {
      "evented-auth/signing-keys": JSON.stringify({ keys: [await generateSigningJwk()] }),
      "evented-auth/email-key": Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64"),
    };
    const secret = (name: string, key: string) => secrets[`${name}/${key}`] ?? `p${key}0${name.length}`;
    for (const d of objects.filter((o) => o.kind === "Deployment")) {
      const [c] = d.spec.template.spec.containers;
      const dockerfile = readFileSync(join(ROOT, `apps/${d.metadata.name}/Dockerfile`), "utf8");
      const env: Record<string, string> = { NODE_ENV: /ENV NODE_ENV=production/.test(dockerfile) ? "production" : "", ...configMap };
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        // $(NAME) is Kubernetes' reference to a variable defined before it
        env[e.name] = ref ? secret(ref.name, ref.key) : String(e.value).replace(/\$\((\w+)\)/g, (_: string, n: string) => env[n] ?? "");
      }
      expect(env.NODE_ENV).toBe("production");
      const { readConfig } = (await import(join(ROOT, `apps/${d.metadata.name}/src/config.ts`))) as { readConfig: (env: Record<string, string>) => unknown };
      try {
        readConfig(env);
      } catch (err) {
        throw new Error(`${d.metadata.name} would not start: ${err}`);
      }
    }
  });

  test("NATS: every service connects as its own user of deploy/nats/nats-server.conf, whose passwords the chart's values give the servers", async () => {
    const conf = readFileSync(join(ROOT, "deploy/nats/nats-server.conf"), "utf8");
    const users = [...conf.matchAll(/^\s*user: (\w+)\s*$/gm)].map((m) => m[1]!);
    const passwords = [...conf.matchAll(/password: \$(NATS_\w+_PASSWORD)/g)].map((m) => m[1]!);
    for (const user of [...services.map((s) => s.name), "ops"]) expect(users).toContain(user);
    for (const overlay of ["development", "production"]) {
      const values = Bun.YAML.parse(readFileSync(join(ROOT, `deploy/k8s/nats/values-${overlay}.yaml`), "utf8")) as Json;
      expect(values.config.merge["00$include"]).toBe("auth.conf");
      expect(readFileSync(join(ROOT, `deploy/k8s/nats/values-${overlay}.yaml`), "utf8")).toContain(
        "--set-file 'configMap.merge.data.auth\\.conf=deploy/nats/nats-server.conf'",
      );
      // (and in production the routes' password: see below)
      expect(
        Object.keys(values.container.env)
          .filter((k) => !k.startsWith("NATS_ROUTE_"))
          .sort(),
      ).toEqual([...passwords].sort());
      for (const name of passwords) expect(values.container.env[name].valueFrom.secretKeyRef.name).toBe("nats-users");

      const services = (await render(overlay)).filter((o) => o.kind === "Deployment" && o.metadata.name !== "gateway");
      for (const d of services) {
        const natsUser = d.spec.template.spec.containers[0].env.find((e: Json) => e.name === "NATS_USER")?.value;
        expect({ app: d.metadata.name, natsUser }).toEqual({ app: d.metadata.name, natsUser: d.metadata.name });
        expect(users).toContain(natsUser);
      }
    }
  });

  test("NATS: the production values make a 3-node JetStream cluster", () => {
    const values = Bun.YAML.parse(readFileSync(join(ROOT, "deploy/k8s/nats/values-production.yaml"), "utf8")) as Json;
    expect(values.config.cluster).toMatchObject({ enabled: true, replicas: 3 });
    expect(values.config.jetstream.enabled).toBe(true);
    expect(readFileSync(join(ROOT, "deploy/k8s/nats/values-production.yaml"), "utf8")).toMatch(/--version \d+\.\d+\.\d+/);
  });

  test("NATS: the production cluster's routes need the route password, from the secret the README's install makes", () => {
    const values = Bun.YAML.parse(readFileSync(join(ROOT, "deploy/k8s/nats/values-production.yaml"), "utf8")) as Json;
    const { cluster } = values.config;
    const env = values.container.env;
    // Servers dialling in give user route and the password the servers have in their environment
    // (chart 1.2.x writes << $VAR >> as a variable); never a password in the values or the ConfigMap.
    expect(cluster.routeURLs?.password).toBeUndefined();
    expect(cluster.merge.authorization).toEqual({ user: "route", password: "<< $NATS_ROUTE_PASSWORD >>" });
    expect(env.NATS_ROUTE_PASSWORD.valueFrom.secretKeyRef.name).toBe("nats-users");
    // Dialling out, each server gives it in every URL of the chart's own routes (its pods under the
    // README's release name), which Kubernetes puts in: it expands $(VAR) of a variable defined
    // before, and the chart defines them by name.
    expect(cluster.patch).toContainEqual({ op: "replace", path: "/routes", value: "<< $NATS_ROUTE_URLS >>" });
    const calls = readmeInstall();
    const release = calls.find((c) => c[0] === "helm" && c[1] === "install" && c[3] === "nats/nats")!;
    expect(release).toContain("deploy/k8s/nats/values-production.yaml");
    const name = release[2];
    const routes = Array.from(
      { length: cluster.replicas },
      (_, i) => `nats://route:$(NATS_ROUTE_PASSWORD)@${name}-${i}.${name}-headless:${cluster.port ?? 6222}`,
    );
    expect(env.NATS_ROUTE_URLS).toBe(`[${routes.join(", ")}]`);
    expect(Object.keys(env).sort().indexOf("NATS_ROUTE_PASSWORD")).toBeLessThan(Object.keys(env).sort().indexOf("NATS_ROUTE_URLS"));

    // The install makes nats-users with every key the servers read, each a password nats-server
    // takes (letters and digits), before it installs NATS.
    const made = calls.findIndex((c) => c[0] === "kubectl" && c.join(" ").includes("-n nats create secret generic nats-users"));
    expect(made).toBeGreaterThanOrEqual(0);
    expect(made).toBeLessThan(calls.indexOf(release));
    const keys: Record<string, string> = {};
    for (const arg of calls[made]!) {
      const [, key, password] = /^--from-literal=(\w+)=(.*)$/.exec(arg) ?? [];
      if (key) keys[key] = password!;
    }
    const read = Object.values(env).flatMap((e: Json) => (e.valueFrom?.secretKeyRef?.name === "nats-users" ? [e.valueFrom.secretKeyRef.key] : []));
    expect(read).toContain("route");
    for (const key of read) expect({ key, password: keys[key] }).toEqual({ key, password: expect.stringMatching(/^[A-Za-z][A-Za-z0-9]+$/) });
  });
});
