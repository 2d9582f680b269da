#!/bin/sh
# Container entry point: turns environment variables into `brook start`
# options, so a compose file or `docker run -e` configures the broker the way
# Kafka images do. Any other command runs the brook CLI as given
# (`docker run brook topics list -b host:9092`).
#
#   BROOK_HOST                  listen address (default 0.0.0.0)
#   BROOK_PORT                  Kafka port (default 9092)
#   BROOK_DATA_DIR              data directory, the volume (default /var/lib/brook)
#   BROOK_ADVERTISED_LISTENERS  what clients are told to connect to, e.g. PLAINTEXT://localhost:9092
#   BROOK_METRICS_PORT          Prometheus /metrics port (default 9644; set it empty to disable)
#   BROOK_CONSOLE               "true" serves the web console on the metrics port
#   BROOK_CFG_<NAME>            any broker property: BROOK_CFG_LOG_RETENTION_MS=60000 -> log.retention.ms=60000;
#                               as in the Kafka images, '_' stands for '.', '__' for '_' and '___' for '-':
#                               BROOK_CFG_LISTENER_NAME_SASL__SSL_PLAIN_SASL_JAAS_CONFIG -> listener.name.sasl_ssl.plain.sasl.jaas.config
#   BROOK_EXEC                  the brook executable (default: /opt/brook/bin/brook.js, whose first line runs node with the broker's V8 flags)
# Arguments given after `start` come last, so they win over the environment.
set -eu

run() {
  if [ -n "${BROOK_EXEC:-}" ]; then exec "$BROOK_EXEC" "$@"; fi
  exec /opt/brook/bin/brook.js "$@"
}

if [ "$#" -gt 0 ] && [ "$1" != "start" ]; then run "$@"; fi
if [ "$#" -gt 0 ]; then shift; fi

# POSIX sh has one array ("$@"), so the user's arguments are kept as a quoted string for later.
user_args=""
for a in "$@"; do
  user_args="$user_args '$(printf '%s' "$a" | sed "s/'/'\\\\''/g")'"
done

set -- start --host "${BROOK_HOST:-0.0.0.0}" --port "${BROOK_PORT:-9092}" --data-dir "${BROOK_DATA_DIR:-/var/lib/brook}"
if [ -n "${BROOK_ADVERTISED_LISTENERS:-}" ]; then
  set -- "$@" --set "advertised.listeners=$BROOK_ADVERTISED_LISTENERS"
fi
metrics_port="${BROOK_METRICS_PORT-9644}"
if [ -n "$metrics_port" ]; then
  set -- "$@" --metrics-port "$metrics_port"
  if [ "${BROOK_CONSOLE:-false}" = "true" ]; then set -- "$@" --console; fi
elif [ "${BROOK_CONSOLE:-false}" = "true" ]; then
  echo "brook entrypoint: BROOK_CONSOLE=true needs BROOK_METRICS_PORT" >&2
  exit 2
fi
for name in $(env | sed -n 's/^BROOK_CFG_\([A-Za-z0-9_]*\)=.*/\1/p' | sort); do
  value=$(printenv "BROOK_CFG_$name")
  # the Kafka images' convention (confluentinc's env_to_props, apache/kafka's image): ___ -> '-', __ -> '_', _ -> '.'
  property=$(printf '%s' "$name" | tr 'A-Z' 'a-z' | sed -e 's/___/-/g' -e 's/__/%/g' -e 's/_/./g' -e 's/%/_/g')
  set -- "$@" --set "$property=$value"
done
eval "set -- \"\$@\" $user_args"
run "$@"
