# Stand-in for oven/bun:<version> (and -slim), built offline by scripts/container-engine.ts on a
# debootstrapped Debian: the Bun binary the tests run under, the machine's CA bundle (so `bun install`
# inside a build trusts the same authorities as this machine) and the `bun` user the official image has.
FROM evented-stand-in/debian:bookworm
COPY bun /usr/local/bin/bun
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN ln -s /usr/local/bin/bun /usr/local/bin/bunx \
 && groupadd --gid 1000 bun && useradd --uid 1000 --gid bun --create-home --shell /bin/sh bun \
 && mkdir -p /home/bun/app && chown bun:bun /home/bun/app
# Bun reads its extra authorities from here (this machine's egress authority is among them).
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
WORKDIR /home/bun/app
CMD ["bun"]
