#!/usr/bin/env bash
# End-to-end test of `clip serve` in a real browser: builds clip with the trait Server, indexes
# Examples/images with the bundled model, serves the index on a free loopback port, loads the
# search page in headless Chromium with /?q=a+red+star and checks the result grid (the bundled
# model ranks red-star.png first), fetches the top hit's image, then stops the server with
# SIGTERM while a request is in flight and checks that the request still succeeds and the server
# exits 0. Needs Debian's chromium and curl.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=.build-server
swift build --traits Server --scratch-path "$scratch" --product clip
clip="$scratch/debug/clip"

work=$(mktemp -d /tmp/clip-serve-browser-XXXXXX)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "test-serve-browser: FAIL: $*" >&2; [ -f "$work/serve.log" ] && sed 's/^/  serve: /' "$work/serve.log" >&2; exit 1; }

"$clip" index --db "$work/photos.db" Examples/images > /dev/null

# Port 0: the server binds a free port and logs it. A lone request waits 1.5 s for others to
# join its batch, so one can be in flight when SIGTERM arrives.
"$clip" serve --index "$work/photos.db" --host 127.0.0.1 --port 0 --batch-wait 1500 > "$work/serve.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 600); do
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$work/serve.log" | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || fail "clip serve exited before listening"
    sleep 0.1
done
[ -n "$port" ] || fail "clip serve did not log its port"
base="http://127.0.0.1:$port"
ready=""
for _ in $(seq 1 600); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" = 200 ]; then ready=yes; break; fi
    kill -0 "$server_pid" 2>/dev/null || fail "clip serve exited before it was ready"
    sleep 0.1
done
[ -n "$ready" ] || fail "/readyz did not answer 200 within 60 s"

browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || fail "chromium is not installed (Scripts/install-system-deps.sh installs it)"
flags=(--headless --disable-gpu --no-first-run --user-data-dir="$work/profile" --dump-dom --virtual-time-budget=8000)
if [ "$(id -u)" -eq 0 ]; then flags+=(--no-sandbox); fi
"$browser" "${flags[@]}" "$base/?q=a+red+star" > "$work/dom.html" 2> "$work/chromium.log" || fail "chromium failed: $(tail -n 3 "$work/chromium.log")"

hits=$(grep -o '<figure class="hit" data-path="[^"]*"' "$work/dom.html" | sed 's/.*data-path="//; s/"$//' || true)
count=$(printf '%s\n' "$hits" | grep -c . || true)
[ "$count" -ge 1 ] || fail "the page shows no hits for 'a red star'"
first=$(printf '%s\n' "$hits" | head -n 1)
case "$first" in
    */red-star.png) ;;
    *) fail "the top hit for 'a red star' is $first, not red-star.png" ;;
esac
grep -q '<img[^>]*src="/v1/images?path=' "$work/dom.html" || fail "the hits have no /v1/images thumbnails"
curl -sf -o "$work/top.png" "$base/v1/images?path=$first" || fail "GET /v1/images of the top hit failed"
cmp -s "$work/top.png" "$first" || fail "/v1/images returned other bytes than $first"
echo "test-serve-browser: $count hits for 'a red star', top hit $(basename "$first")"

curl -s -o "$work/inflight.json" -w '%{http_code}' "$base/v1/embeddings" -d '{"input": "a red star"}' > "$work/inflight.status" &
curl_pid=$!
sleep 0.5
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=""
wait "$curl_pid" || true
[ "$status" -eq 0 ] || fail "clip serve exited $status after SIGTERM, not 0"
grep -q "shut down" "$work/serve.log" || fail "clip serve did not log its shutdown"
[ "$(cat "$work/inflight.status")" = 200 ] || fail "the request in flight at SIGTERM got $(cat "$work/inflight.status"), not 200"
grep -q '"object":"embedding"' "$work/inflight.json" || fail "the request in flight at SIGTERM got no embedding"
echo "test-serve-browser: SIGTERM: the request in flight got its embedding, clip serve exited 0"
