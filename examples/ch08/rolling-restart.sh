#!/bin/sh
# Restart whoami.py processes one at a time, each taken out of nginx while it restarts.
# Usage: sh examples/ch08/rolling-restart.sh NGINX_DIR SUPERVISORD_CONF PORT...
# NGINX_DIR holds the nginx.conf rendered from examples/ch08/nginx.conf (nginx -p NGINX_DIR/).
set -eu
dir=$1
conf=$2
shift 2

reload() {
    "${NGINX:-nginx}" -p "$dir/" -c "$dir/nginx.conf" -s reload
}

for port in "$@"; do
    # 1. No new requests for it: mark its server line down.
    sed -i "s/^\( *server 127\.0\.0\.1:$port\) /\1 down /" "$dir/nginx.conf"
    reload
    sleep 2  # the reload is not instant: let nginx's old workers pass on what they had read
    # 2. SIGTERM (it finishes the requests it has), then start it again.
    supervisorctl -c "$conf" restart "whoami:whoami-$port"
    until curl -s -o /dev/null "http://127.0.0.1:$port/"; do sleep 0.2; done
    # 3. Back into nginx.
    sed -i "s/^\( *server 127\.0\.0\.1:$port\) down /\1 /" "$dir/nginx.conf"
    reload
done
