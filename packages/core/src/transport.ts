// How the apps talk gRPC to each other: where a server binds, and TLS when it is configured. The
// same variables in every app (servers, the gateway, the health check), read once per process:
//   GRPC_BIND_HOST  the address gRPC servers listen on (default 0.0.0.0; 127.0.0.1 keeps one
//                   host's services off the network)
//   GRPC_TLS_CA, GRPC_TLS_CERT, GRPC_TLS_KEY  PEM files: the CA that signs every app's
//                   certificate, and this app's certificate and key. All three or none: then every
//                   connection is mutual TLS (servers require a certificate from that CA, clients
//                   verify the server's, and present their own). None: plaintext, for one host or
//                   a network that encrypts for you (a service mesh).
//   GRPC_TLS_SERVER_NAME  the name clients expect in the servers' certificates, when they dial
//                   addresses that are not names in them (an IP address: Bun refuses an IP as the
//                   TLS server name). Unset: the host of each address, as DNS names in compose or
//                   Kubernetes are.
import { readFileSync } from "node:fs";
import { type ChannelCredentials, credentials, ServerCredentials } from "@grpc/grpc-js";
import { ConfigError, optional, str } from "./config.ts";

type Env = Record<string, string | undefined>;

export interface Transport {
  bindHost: string;
  tls?: { ca: Buffer; cert: Buffer; key: Buffer; serverName?: string };
}

const TLS_VARS = ["GRPC_TLS_CA", "GRPC_TLS_CERT", "GRPC_TLS_KEY"] as const;

export function readTransport(env: Env): Transport {
  const bindHost = str(env, "GRPC_BIND_HOST", "0.0.0.0");
  const [ca, cert, key] = TLS_VARS.map((name) => optional(env, name));
  if (!ca && !cert && !key) return { bindHost };
  const missing = TLS_VARS.filter((name) => !optional(env, name));
  if (missing.length) throw new ConfigError(`${missing.join(", ")} must be set too: gRPC TLS needs GRPC_TLS_CA, GRPC_TLS_CERT and GRPC_TLS_KEY`);
  const read = (name: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ConfigError(`${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  };
  const serverName = optional(env, "GRPC_TLS_SERVER_NAME");
  return { bindHost, tls: { ca: read("GRPC_TLS_CA", ca!), cert: read("GRPC_TLS_CERT", cert!), key: read("GRPC_TLS_KEY", key!), serverName } };
}

let current: Transport | undefined;

/** This process's transport, read from its environment the first time (loadConfig it early to exit 78 on a bad one). */
export function grpcTransport(env: Env = process.env): Transport {
  current ??= readTransport(env);
  return current;
}

export function serverCredentials(t: Transport = grpcTransport()): ServerCredentials {
  if (!t.tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(t.tls.ca, [{ cert_chain: t.tls.cert, private_key: t.tls.key }], true);
}

/** Options every client channel gets from the transport: the server name to verify, when configured. */
export function channelOptions(t: Transport = grpcTransport()): Record<string, string> {
  const name = t.tls?.serverName;
  return name ? { "grpc.ssl_target_name_override": name, "grpc.default_authority": name } : {};
}

export function channelCredentials(t: Transport = grpcTransport()): ChannelCredentials {
  if (!t.tls) return credentials.createInsecure();
  return credentials.createSsl(t.tls.ca, t.tls.key, t.tls.cert);
}
