#!/bin/sh
# Restart whoami.py processes one at a time, each taken out of nginx while it restarts.
# Usage: sh examples/ch08/rolling-restart.sh NGINX_DIR SUPERVISORD_CONF PORT...
# NGINX_DIR holds the nginx.conf rendered from examples/ch08/nginx.conf (nginx -p NGINX_DIR/).
# Needs curl and pgrep; NGINX_BIN=/path/to/nginx and SUPERVISORCTL=/path/to/supervisorctl if
# they are not on PATH.
set -eu
dir=$(cd "$1" && pwd)
conf=$2
shift 2
file=$dir/nginx.conf
drained=  # the port marked down in $file, if any

fail() {
    echo "rolling-restart: $*" >&2
    exit 1
}

at() {  # the start of port $1's server line, parameters or not: (line start)(space or ;)
    echo "^([[:space:]]*server[[:space:]]+127\.0\.0\.1:$1)([[:space:];])"
}

edit() {  # apply sed expression $1 to $file, writing through a symlink rather than over it
    new=$(mktemp "$dir/.nginx.conf.XXXXXX")
    sed -E "$1" "$file" >"$new" && cat "$new" >"$file"
    rm -f "$new"
}

reload() {  # check the new config, reload, then wait until the old workers have exited
    master=$(cat "$dir/nginx.pid")
    old=$(pgrep -P "$master" || true)
    # -e: notices and alerts go to the prefix's error.log, not to this terminal
    "${NGINX_BIN:-nginx}" -t -q -p "$dir/" -c "$file" -e "$dir/error.log"
    "${NGINX_BIN:-nginx}" -p "$dir/" -c "$file" -e "$dir/error.log" -s reload
    # They finish what they had (at most worker_shutdown_timeout in nginx.conf), then exit.
    tries=0
    while pgrep -P "$master" | grep -Fqx "$old"; do
        tries=$((tries + 1))
        [ "$tries" -lt 350 ] || fail "nginx's old workers are still running after 70 s"
        sleep 0.2
    done
}

undrain() {
    if [ -n "$drained" ]; then
        port=$drained
        drained=
        edit "s/$(at "$port")down([[:space:];])/\1\3/"
        reload || echo "rolling-restart: check $file: $port may still be down" >&2
    fi
}
trap undrain EXIT
trap 'exit 1' INT TERM HUP

[ -f "$file" ] || fail "no such file: $file"
[ -f "$conf" ] || fail "no such file: $conf"
for port in "$@"; do  # refuse before touching anything
    case $port in '' | *[!0-9]*) fail "not a port number: $port" ;; esac
    count=$(grep -Ec "$(at "$port")" "$file" || true)
    [ "$count" = 1 ] || fail "$count server lines for 127.0.0.1:$port in $file, not 1"
    if grep -E "$(at "$port")" "$file" | grep -Eq "[[:space:]]down[[:space:];]"; then
        fail "127.0.0.1:$port is already down in $file; put it back by hand first"
    fi
done

for port in "$@"; do
    # 1. No new requests for it: mark its server line down, and wait until no nginx worker
    #    that could still send it one is left.
    drained=$port
    edit "s/$(at "$port")/\1 down\2/"
    [ "$(grep -Ec "$(at "$port")down[[:space:];]" "$file")" = 1 ] || fail "could not mark $port"
    reload
    # 2. SIGTERM (it finishes any request it still has), then start it again.
    "${SUPERVISORCTL:-supervisorctl}" -c "$conf" restart "whoami:whoami-$port"
    tries=0
    until curl -fs --max-time 2 -o /dev/null "http://127.0.0.1:$port/whoami"; do
        tries=$((tries + 1))
        [ "$tries" -lt 50 ] || fail "127.0.0.1:$port does not answer after its restart"
        sleep 0.2
    done
    # 3. Back into nginx.
    undrain
done
