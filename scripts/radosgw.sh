#!/usr/bin/env bash
# A throw-away single-node Ceph cluster with radosgw: a real S3 server that honours conditional PUTs,
# for the object-store tests (docs/object-storage.md). One mon, one OSD on the in-memory object store,
# radosgw (beast) on 127.0.0.1, no authentication inside the cluster, one S3 user.
#
#   scripts/radosgw.sh start [DIR]   start it; writes DIR/env (S3_TEST_ENDPOINT, keys) for the tests
#   scripts/radosgw.sh stop [DIR]    stop it (radosgw, then the OSD, then the mon) and remove DIR
#
# DIR defaults to $RADOSGW_DIR or /tmp/futures-radosgw. Needs the Debian packages radosgw, ceph-mon,
# ceph-osd. Every wait is bounded: a start that does not come up fails with the daemons' logs.
set -euo pipefail

cmd="${1:-}"
dir="${2:-${RADOSGW_DIR:-/tmp/futures-radosgw}}"
conf="$dir/ceph.conf"
access_key="futures-test-access"
secret_key="futures-test-secret-key-0123456789"

log() { echo "radosgw.sh: $*" >&2; }

die() {
  log "$*"
  for f in "$dir"/log/*.log; do
    [ -f "$f" ] || continue
    echo "----- $f (last 30 lines)" >&2
    tail -n 30 "$f" >&2 || true
  done
  stop_daemons || true
  exit 1
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

# wait_for SECONDS DESCRIPTION COMMAND...
wait_for() {
  local seconds="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then die "timed out after ${seconds}s waiting for $what"; fi
    sleep 0.5
  done
}

# stop_pid NAME SECONDS: TERM, wait, then KILL.
stop_pid() {
  local name="$1" seconds="$2" pidfile="$dir/run/$1.pid"
  [ -f "$pidfile" ] || return 0
  local pid
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + seconds))
    while kill -0 "$pid" 2>/dev/null; do
      if ((SECONDS >= deadline)); then
        log "$name ($pid) did not stop in ${seconds}s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.2
    done
  fi
  rm -f "$pidfile"
}

# Order matters: with the OSD gone first, radosgw hangs for minutes before exiting.
stop_daemons() {
  stop_pid client.rgw.a 20
  for pidfile in "$dir"/run/osd.*.pid; do
    [ -f "$pidfile" ] || continue
    stop_pid "$(basename "$pidfile" .pid)" 20
  done
  stop_pid mon.a 20
}

ceph_cli() { timeout 20 ceph -c "$conf" "$@"; }

start() {
  for bin in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph; do
    command -v "$bin" >/dev/null || { log "missing $bin: apt-get install --no-install-recommends radosgw ceph-mon ceph-osd"; exit 1; }
  done
  if [ -f "$dir/run/mon.a.pid" ] && kill -0 "$(cat "$dir/run/mon.a.pid")" 2>/dev/null; then
    log "already running in $dir (stop it first)"
    exit 1
  fi
  rm -rf "$dir"
  mkdir -p "$dir"/{run,log,mon,osd}
  local fsid mon_port rgw_port
  fsid="$(cat /proc/sys/kernel/random/uuid)"
  mon_port="$(free_port)"
  rgw_port="$(free_port)"
  cat >"$conf" <<CONF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$mon_port]
auth cluster required = none
auth service required = none
auth client required = none
osd objectstore = memstore
memstore device bytes = 1073741824
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
osd crush chooseleaf type = 0
mon warn on pool no redundancy = false
run dir = $dir/run
pid file = $dir/run/\$name.pid
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
mon data = $dir/mon/\$cluster-\$id
osd data = $dir/osd/\$cluster-\$id
[client]
ms mon client mode = crc
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw data = $dir/rgw
CONF
  monmaptool --create --addv a "[v2:127.0.0.1:$mon_port]" --fsid "$fsid" "$dir/monmap" >/dev/null
  ceph-authtool --create-keyring "$dir/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/mon.keyring" || die "ceph-mon --mkfs failed"
  ceph-mon -c "$conf" -i a || die "ceph-mon did not start"
  wait_for 30 "the mon" ceph_cli -s

  local osd_uuid osd_id
  osd_uuid="$(cat /proc/sys/kernel/random/uuid)"
  osd_id="$(ceph_cli osd new "$osd_uuid")" || die "ceph osd new failed"
  mkdir -p "$dir/osd/ceph-$osd_id"
  ceph-osd -c "$conf" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>&1 || die "ceph-osd --mkfs failed"
  ceph-osd -c "$conf" -i "$osd_id" 2>>"$dir/log/osd-start.log" || die "ceph-osd did not start"
  wait_for 60 "the OSD to be up" bash -c "ceph -c '$conf' osd dump 2>/dev/null | grep -q '^osd.$osd_id up'"

  radosgw -c "$conf" -n client.rgw.a || die "radosgw did not start"
  wait_for 90 "radosgw on port $rgw_port" curl -sf -o /dev/null "http://127.0.0.1:$rgw_port/"
  timeout 30 radosgw-admin -c "$conf" user create --uid futures-test --display-name "futures test" \
    --access-key "$access_key" --secret-key "$secret_key" >/dev/null || die "radosgw-admin user create failed"

  cat >"$dir/env" <<ENV
export S3_TEST_ENDPOINT=http://127.0.0.1:$rgw_port
export S3_TEST_ACCESS_KEY_ID=$access_key
export S3_TEST_SECRET_ACCESS_KEY=$secret_key
export S3_TEST_REGION=us-east-1
ENV
  log "radosgw up at http://127.0.0.1:$rgw_port (env in $dir/env)"
}

case "$cmd" in
  start) start ;;
  stop)
    stop_daemons
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop [DIR]" >&2
    exit 2
    ;;
esac
