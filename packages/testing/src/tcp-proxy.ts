// A TCP forwarder a test controls, to make a dependency unreachable without touching the real
// one: point a service at `127.0.0.1:<port>`, then `close()` (connections cut, port refused)
// and `open()` again on the same port.
import type { Socket, TCPSocketListener } from "bun";
import { freePort } from "./infra.ts";

interface Pipe {
  peer?: Socket<Pipe>;
  /** Bytes waiting for the peer to connect or to drain. */
  queue: Uint8Array[];
}

export interface TcpProxy {
  port: number;
  open(): void;
  close(): void;
}

export function tcpProxy(targetPort: number, targetHost = "127.0.0.1"): TcpProxy {
  const port = freePort();
  const sockets = new Set<Socket<Pipe>>();
  let listener: TCPSocketListener<Pipe> | undefined;

  const send = (to: Socket<Pipe> | undefined, pipe: Pipe, data: Uint8Array) => {
    if (!to || pipe.queue.length > 0) return void pipe.queue.push(data);
    const written = to.write(data);
    if (written < data.length) pipe.queue.push(data.subarray(Math.max(written, 0)));
  };
  const flush = (to: Socket<Pipe>, pipe: Pipe) => {
    while (pipe.queue.length > 0) {
      const next = pipe.queue[0]!;
      const written = to.write(next);
      if (written < next.length) {
        pipe.queue[0] = next.subarray(Math.max(written, 0));
        return;
      }
      pipe.queue.shift();
    }
  };
  const track = (s: Socket<Pipe>) => sockets.add(s);
  const cut = (s: Socket<Pipe>) => {
    sockets.delete(s);
    s.data.peer?.end();
  };

  return {
    port,
    open() {
      listener ??= Bun.listen<Pipe>({
        hostname: "127.0.0.1",
        port,
        socket: {
          open(client) {
            client.data = { queue: [] };
            track(client);
            void Bun.connect<Pipe>({
              hostname: targetHost,
              port: targetPort,
              data: { peer: client, queue: [] },
              socket: {
                open(upstream) {
                  track(upstream);
                  client.data.peer = upstream;
                  flush(upstream, client.data);
                },
                data: (upstream, data) => send(client, upstream.data, new Uint8Array(data)),
                drain: (upstream) => flush(upstream, client.data),
                close: cut,
                error: cut,
              },
            }).catch(() => client.end());
          },
          data: (client, data) => send(client.data.peer, client.data, new Uint8Array(data)),
          drain: (client) => client.data.peer && flush(client, client.data.peer.data),
          close: cut,
          error: cut,
        },
      });
    },
    close() {
      listener?.stop(true);
      listener = undefined;
      for (const s of sockets) s.terminate();
      sockets.clear();
    },
  };
}
