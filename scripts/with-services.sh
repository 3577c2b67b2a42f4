#!/usr/bin/env bash
# Usage: scripts/with-services.sh COMMAND...
# Runs COMMAND with a throwaway PostgreSQL and Redis on free loopback ports,
# exported as DATABASE_URL and REDIS_URL, and removes both when it ends.
set -euo pipefail

missing=()
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
if ((${#missing[@]})); then
    if [[ $(id -u) != 0 ]]; then
        echo "with-services: please install: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
tmp=$(mktemp -d)
chmod 755 "$tmp"
mkdir "$tmp/pg"

# PostgreSQL refuses to run as root, so as root run it as the postgres user.
as_pg() {
    if [[ $(id -u) == 0 ]]; then
        (cd "$tmp" && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}
if [[ $(id -u) == 0 ]]; then chown postgres: "$tmp/pg"; fi

redis_pid=
cleanup() {
    local status=$?
    if [[ -f $tmp/pg/data/postmaster.pid ]]; then
        as_pg "$pgbin/pg_ctl" -D "$tmp/pg/data" -m fast -s stop >/dev/null 2>&1 || true
    fi
    if [[ -n $redis_pid ]]; then
        kill "$redis_pid" 2>/dev/null || true
        wait "$redis_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
    echo "with-services: $1; its log follows" >&2
    cat "$2" >&2 || true
    exit 1
}

read -r pg_port redis_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')

as_pg "$pgbin/initdb" -D "$tmp/pg/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$tmp/initdb.log" 2>&1 || fail "initdb failed" "$tmp/initdb.log"
cat >>"$tmp/pg/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$tmp/pg'
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
as_pg "$pgbin/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/server.log" -w -t 30 -s start \
    || fail "PostgreSQL did not start" "$tmp/pg/server.log"

redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --daemonize no \
    --dir "$tmp" --logfile "$tmp/redis.log" &
redis_pid=$!

for attempt in $(seq 50); do
    if "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" &&
        [[ $(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null) == PONG ]]; then
        break
    fi
    if ((attempt == 50)); then
        echo "with-services: PostgreSQL or Redis did not answer within 10 seconds" >&2
        cat "$tmp/pg/server.log" "$tmp/redis.log" >&2 || true
        exit 1
    fi
    sleep 0.2
done

"$pgbin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres torqueflow

export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/torqueflow"
export REDIS_URL="redis://127.0.0.1:$redis_port/0"

status=0
"$@" || status=$?
exit "$status"
