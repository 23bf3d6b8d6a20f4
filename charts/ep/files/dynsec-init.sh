#!/bin/sh
# Mosquitto's dynamic-security file, prepared before the broker starts (init container):
# - first start: created with the admin client;
# - every start: each service client of $MOSQUITTO_CLIENTS ("user=ENV_VAR …") exists, holds the
#   "ep-service" role and the password in that variable, so a rotated Secret takes effect on the
#   next restart. Stands' own clients and roles are managed with mosquitto_ctrl and kept.
set -eu
file=${MOSQUITTO_DYNSEC_FILE:-/mosquitto/data/dynamic-security.json}
plugin=${MOSQUITTO_DYNSEC_PLUGIN:-/usr/lib/mosquitto_dynamic_security.so}
port=${MOSQUITTO_INIT_PORT:-18830}
[ -f "$file" ] || mosquitto_ctrl dynsec init "$file" "$MOSQUITTO_ADMIN_USERNAME" "$MOSQUITTO_ADMIN_PASSWORD"
[ -n "${MOSQUITTO_CLIENTS:-}" ] || exit 0

# A broker on loopback only, for the time of this script.
conf=$(mktemp)
printf 'listener %s 127.0.0.1\nallow_anonymous false\nplugin %s\nplugin_opt_config_file %s\n' "$port" "$plugin" "$file" >"$conf"
mosquitto -c "$conf" >/dev/null 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; rm -f "$conf"' EXIT
# mosquitto_ctrl exits 0 even when the plugin refuses a command: its answer says "Error:".
ctrl() {
  answer=$(mosquitto_ctrl -h 127.0.0.1 -p "$port" -u "$MOSQUITTO_ADMIN_USERNAME" -P "$MOSQUITTO_ADMIN_PASSWORD" dynsec "$@" 2>&1) || return 1
  case "$answer" in *Error:*) echo "dynsec-init: $1: ${answer##*Error: }" >&2; return 1 ;; esac
  printf '%s\n' "$answer"
}
tries=0
until ctrl getDefaultACLAccess publishClientSend >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -lt 100 ] || { echo "dynsec-init: the temporary broker did not answer" >&2; exit 1; }
  sleep 0.1
done

# Services read and write every stand's topics.
if ! ctrl getRole ep-service 2>/dev/null | grep -q '^Rolename:'; then
  ctrl createRole ep-service >/dev/null
  for acl in publishClientSend publishClientReceive subscribePattern unsubscribePattern; do
    ctrl addRoleACL ep-service "$acl" '#' allow >/dev/null
  done
fi
for entry in $MOSQUITTO_CLIENTS; do
  user=${entry%%=*}
  variable=${entry#*=}
  password=$(printenv "$variable") || { echo "dynsec-init: $variable (password of $user) is not set" >&2; exit 1; }
  ctrl getClient "$user" 2>/dev/null | grep -q '^Username:' || ctrl createClient "$user" -p "$password" >/dev/null
  ctrl setClientPassword "$user" "$password" >/dev/null
  ctrl getClient "$user" | grep -q 'ep-service' || ctrl addClientRole "$user" ep-service 1 >/dev/null
  echo "dynsec-init: client $user ready"
done
