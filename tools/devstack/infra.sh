#!/usr/bin/env bash
# Makes sure PostgreSQL, NATS (with JetStream), RabbitMQ and Mosquitto answer at their URLs.
# A server that is down on this machine is started the way its Debian package is started here
# (installed first when missing and we are root on Debian/Ubuntu), or with Docker Compose where a
# Docker engine runs. Whatever happens, this script ends within ~30 s: it names each server that
# is still unreachable, its URL and how to start it, and exits 1. It never hangs.
set -uo pipefail

DEADLINE=$((SECONDS + ${EP_INFRA_WAIT_SECONDS:-25}))
here=$(cd "$(dirname "$0")" && pwd)

url_of() { # service → URL (EP_TEST_* first, as the tests resolve them)
  case $1 in
    postgres) echo "${EP_TEST_DATABASE_URL:-${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}}" ;;
    nats) echo "${EP_TEST_NATS_URL:-${NATS_URL:-nats://127.0.0.1:4222}}" ;;
    rabbitmq) echo "${EP_TEST_AMQP_URL:-${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}}" ;;
    mosquitto) echo "${EP_TEST_MQTT_URL:-${MQTT_URL:-mqtt://127.0.0.1:1883}}" ;;
  esac
}
default_port() { case $1 in postgres) echo 5432 ;; nats) echo 4222 ;; rabbitmq) echo 5672 ;; mosquitto) echo 1883 ;; esac; }
host_of() { local rest=${1#*://}; rest=${rest##*@}; rest=${rest%%/*}; rest=${rest%%,*}; echo "${rest%%:*}"; }
port_of() {
  local rest=${1#*://}; rest=${rest##*@}; rest=${rest%%/*}; rest=${rest%%,*}
  if [[ $rest == *:* ]]; then echo "${rest##*:}"; else default_port "$2"; fi
}
masked() { sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#' <<<"$1"; }

reachable() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# NATS announces its features in the INFO line it sends on connect.
jetstream_enabled() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2; IFS= read -r line <&3; echo \"\$line\"" 2>/dev/null | grep -q '"jetstream":true'
}

debian_package() { case $1 in postgres) echo postgresql ;; nats) echo nats-server ;; rabbitmq) echo rabbitmq-server ;; mosquitto) echo mosquitto ;; esac; }
binary_of() {
  case $1 in
    postgres) ls /usr/lib/postgresql/*/bin/postgres 2>/dev/null | head -n 1 ;;
    nats) command -v nats-server || ls /usr/sbin/nats-server 2>/dev/null ;;
    rabbitmq) command -v rabbitmq-server || ls /usr/sbin/rabbitmq-server 2>/dev/null ;;
    mosquitto) command -v mosquitto || ls /usr/sbin/mosquitto 2>/dev/null ;;
  esac
}
start_hint() {
  case $1 in
    postgres) echo "pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start   (or: apt-get install postgresql)" ;;
    nats) echo "start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server   (or: apt-get install nats-server)" ;;
    rabbitmq) echo "rabbitmq-server -detached   (or: apt-get install rabbitmq-server)" ;;
    mosquitto) echo "mosquitto -d -c /etc/mosquitto/mosquitto.conf   (or: apt-get install mosquitto)" ;;
  esac
}

start_local() { # service port — in the background; output to .dev/infra-<service>.log
  local svc=$1 port=$2
  if command -v docker >/dev/null 2>&1 && timeout 3 docker info >/dev/null 2>&1; then
    docker compose -f "$here/compose.yaml" up -d "$svc" >/dev/null 2>&1 &
    return
  fi
  if [[ -z "$(binary_of "$svc")" ]]; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
      echo "  installing $(debian_package "$svc") from Debian's packages…"
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$(debian_package "$svc")") >/dev/null 2>&1 || return
      DEADLINE=$((SECONDS + 25)) # installing is progress, not a hang: give the start its own time
    else
      return
    fi
  fi
  case $svc in
    postgres) pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start ;;
    nats)
      mkdir -p /var/lib/nats-server
      start-stop-daemon --start --oknodo --background --exec "$(binary_of nats)" -- \
        -a 127.0.0.1 -p "$port" -js -sd /var/lib/nats-server -l /var/log/nats-server.log ;;
    rabbitmq) rabbitmq-server -detached ;;
    mosquitto) mosquitto -d -c /etc/mosquitto/mosquitto.conf ;;
  esac
}

mkdir -p "$(dirname "$here")/../.dev"
services=(postgres nats rabbitmq mosquitto)
declare -A waiting=()
for svc in "${services[@]}"; do
  url=$(url_of "$svc"); host=$(host_of "$url"); port=$(port_of "$url" "$svc")
  if reachable "$host" "$port"; then continue; fi
  if [[ $host == 127.0.0.1 || $host == localhost ]]; then
    echo "• $svc is down at $(masked "$url"); starting it"
    start_local "$svc" "$port" >>"$(dirname "$here")/../.dev/infra-$svc.log" 2>&1 || true
  fi
  waiting[$svc]=1
done

for svc in "${!waiting[@]}"; do
  url=$(url_of "$svc"); host=$(host_of "$url"); port=$(port_of "$url" "$svc")
  until reachable "$host" "$port" || ((SECONDS >= DEADLINE)); do sleep 0.5; done
done

failed=0
for svc in "${services[@]}"; do
  url=$(url_of "$svc"); host=$(host_of "$url"); port=$(port_of "$url" "$svc")
  if ! reachable "$host" "$port"; then
    echo "✗ $svc is not reachable at $(masked "$url") and could not be started here."
    echo "  start it with: $(start_hint "$svc")"
    echo "  or point $( case $svc in postgres) echo EP_TEST_DATABASE_URL/DATABASE_URL;; nats) echo EP_TEST_NATS_URL/NATS_URL;; rabbitmq) echo EP_TEST_AMQP_URL/AMQP_URL;; mosquitto) echo EP_TEST_MQTT_URL/MQTT_URL;; esac ) at a running one."
    failed=1
  elif [[ $svc == nats ]] && ! jetstream_enabled "$host" "$port"; then
    echo "✗ NATS at $(masked "$url") answers but JetStream is off; restart it with -js."
    failed=1
  fi
done
if ((failed)); then exit 1; fi
echo "✓ infrastructure: PostgreSQL, NATS (JetStream), RabbitMQ, Mosquitto"
