# ipvs-bot node script: settle (domain §8.3). Waits until this node's kube-proxy has finished a sync after it started:
# kubeproxy_sync_proxy_rules_last_timestamp_seconds ≥ process_start_time_seconds on its /metrics (k/k
# pkg/proxy/metrics/metrics.go; the gauge stays 0 until the first sync). /healthz (pkg/proxy/healthcheck/
# proxier_health.go) is read and reported, not trusted: it answers 200 while a starting kube-proxy's first update is
# younger than healthTimeout (2 × syncPeriod), and 503 only after that. Both timestamps come from the node's clock.
METRICS="${IPVS_BOT_METRICS_ADDR:-127.0.0.1:10249}"
HEALTHZ="${IPVS_BOT_HEALTHZ_ADDR:-127.0.0.1:10256}"
TIMEOUT_MS="${IPVS_BOT_SETTLE_TIMEOUT_MS:-60000}"
POLL_MS="${IPVS_BOT_SETTLE_POLL_MS:-1000}"
NOT_BEFORE_MS="${IPVS_BOT_NOT_BEFORE_MS:-}"

fmt_ms() { # 60000 → 60s, 1500 → 1.5s, 400 → 400ms (REPLY)
  if [ "$1" -lt 1000 ]; then REPLY="${1}ms"
  elif [ $(($1 % 1000)) -eq 0 ]; then REPLY="$(($1 / 1000))s"
  else REPLY="$(($1 / 1000)).$(( ($1 % 1000) / 100 ))s"; fi
}

is_uint "$TIMEOUT_MS" && [ "$TIMEOUT_MS" -le 3600000 ] || { err "IPVS_BOT_SETTLE_TIMEOUT_MS is not a number of ms up to 1 h"; TIMEOUT_MS=60000; }
is_uint "$POLL_MS" && [ "$POLL_MS" -ge 10 ] && [ "$POLL_MS" -le 10000 ] || { err "IPVS_BOT_SETTLE_POLL_MS is not 10-10000"; POLL_MS=1000; }
[ -z "$NOT_BEFORE_MS" ] || is_uint "$NOT_BEFORE_MS" || { err "IPVS_BOT_NOT_BEFORE_MS is not a number"; NOT_BEFORE_MS=""; }
http_target "$METRICS" || err "invalid metrics address"
http_target "$HEALTHZ" || err "invalid healthz address"
if [ "${#ERRORS[@]}" -gt 0 ]; then field synced false; emit; exit 0; fi

printf -v sleep_s '%d.%03d' $((POLL_MS / 1000)) $((POLL_MS % 1000))
now_ms; begin="$REPLY"; deadline=$((begin + TIMEOUT_MS))
synced=0; started=""; last=""; m_status=""; h_status=""; h_last=""; dur_sum=""; dur_count=""; polls=0
while :; do
  polls=$((polls + 1))
  http_get "$METRICS" /metrics; m_status="$HTTP_STATUS"
  started=""; last=""
  if [ "$m_status" = 200 ]; then
    metric_value process_start_time_seconds "$HTTP_BODY" && to_ms "$REPLY" && started="$REPLY"
    metric_value kubeproxy_sync_proxy_rules_last_timestamp_seconds "$HTTP_BODY" && to_ms "$REPLY" && last="$REPLY"
    metric_value kubeproxy_sync_proxy_rules_duration_seconds_sum "$HTTP_BODY" && dur_sum="$REPLY"
    metric_value kubeproxy_sync_proxy_rules_duration_seconds_count "$HTTP_BODY" && dur_count="$REPLY"
  fi
  http_get "$HEALTHZ" /healthz; h_status="$HTTP_STATUS"
  h_last=""; [[ "$HTTP_BODY" =~ \"lastUpdated\":\ *\"([^\"]*)\" ]] && h_last="${BASH_REMATCH[1]}"
  if [ -n "$last" ] && [ "$last" -gt 0 ]; then
    # A sync after the process started, by a process not older than the restart the bot asked for.
    if [ -n "$started" ] && [ "$last" -ge "$started" ] && { [ -z "$NOT_BEFORE_MS" ] || [ "$started" -ge "$NOT_BEFORE_MS" ]; }; then synced=1; break; fi
    if [ -z "$started" ] && [ -z "$NOT_BEFORE_MS" ]; then synced=1; warn "kube-proxy exports no process_start_time_seconds: its last sync is taken as the first"; break; fi
  fi
  now_ms; [ "$REPLY" -ge "$deadline" ] && break
  sleep "$sleep_s"
done
now_ms; waited=$((REPLY - begin))

field_bool synced "$synced"
field_int startedAt "$started"
field_int syncedAt "$([ "$synced" = 1 ] && echo "$last")"
field_int waitedMs "$waited"
field_int polls "$polls"
to_ms "${dur_sum:-x}" && [ -n "$dur_count" ] && is_uint "$dur_count" && [ "$dur_count" -gt 0 ] && field_int syncDurationMs "$((REPLY / dur_count))"
json_str "$h_last" 80
field healthz "{\"status\":$(is_uint "$h_status" && echo "$h_status" || echo null),\"lastUpdated\":$REPLY}"
field metricsStatus "$(is_uint "$m_status" && echo "$m_status" || echo null)"
if [ "$synced" != 1 ]; then
  fmt_ms "$TIMEOUT_MS"; within="$REPLY"
  if [ -z "$h_status" ]; then hz="/healthz did not answer on $HEALTHZ"; else hz="/healthz $h_status"; fi
  if [ -z "$m_status" ]; then why="$hz, /metrics did not answer on $METRICS"
  elif [ "$m_status" != 200 ]; then why="$hz, /metrics $m_status"
  elif [ -n "$NOT_BEFORE_MS" ] && [ -n "$started" ] && [ "$started" -lt "$NOT_BEFORE_MS" ]; then why="$hz, the kube-proxy answering started before the restart"
  else why="$hz"; fi
  err "kube-proxy did not sync within $within: $why"
fi
emit
exit 0
