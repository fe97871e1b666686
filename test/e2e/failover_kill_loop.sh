#!/usr/bin/env bash
# Failover: during the 400-pod scale-up (15+ nodes) whichever replica holds the lease is SIGKILLed
# every 8 s, four times, each once it has led for 3 s (mid-work: a fresh leader is not killed before
# it did anything, which would only test the lease handover); killed replicas come back at once as
# new ones (as their Deployment would restart them). Every pod binds; at most one extra NodeClaim
# per kill.
source "$(dirname "$0")/failover_lib.sh"
start_run
kills=0
next=$((SECONDS + 4))
declare -A leading_since=()
while [ "$kills" -lt 4 ] && [ $((SECONDS - WORKLOAD_START)) -lt 300 ] && [ "$(bound)" -lt "$PODS" ]; do
  supervise
  holder="$(leader)"
  pid="${CONTROLLER_PIDS[$holder]:-}"
  if [ -n "$pid" ] && [ -z "${leading_since[$holder]:-}" ] &&
      grep -a -q '"message":"became leader' "$WORK/$holder.log" 2>/dev/null; then
    leading_since[$holder]=$SECONDS
  fi
  if [ "$SECONDS" -ge "$next" ] && [ -n "${leading_since[$holder]:-}" ] &&
      [ $((SECONDS - leading_since[$holder])) -ge 3 ]; then
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid"
      kills=$((kills + 1))
      killed_at="$(since_apply)"
      log "kill $kills: SIGKILLed leader $holder ($(bound)/$PODS pods bound)"
      next=$((SECONDS + 8))
    fi
  fi
  sleep 0.2
done
# After the last kill the rest is a handover and at most an undisturbed run.
limit="$(handover_limit "${killed_at:-0}")"
wait_all_bound "$limit"
settle 120
check_created "$kills"
record "$kills"
