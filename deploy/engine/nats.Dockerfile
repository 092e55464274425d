# Stand-in for nats:2.10-alpine: Debian's nats-server (2.9 in bookworm) and wget (the compose
# healthcheck's), behind the official image's entrypoint rule: arguments starting with "-" go to nats-server.
FROM evented-stand-in/debian:bookworm
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nats-server wget >/dev/null \
 && rm -rf /var/lib/apt/lists/*
COPY nats-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
EXPOSE 4222 6222 8222
CMD ["nats-server", "-js"]
