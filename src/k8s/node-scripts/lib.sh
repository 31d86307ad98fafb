# ipvs-bot node script: shared helpers. Fixed text; the only inputs are IPVS_BOT_* env values that ipvs-bot
# sets from the API and its validated config (never from chat). Ends by writing ONE JSON line to the
# termination log and stdout (the node-Job contract in DESIGN.md).
set -u
export LC_ALL=C

PHASE="${IPVS_BOT_PHASE:-unknown}"
NODE="${IPVS_BOT_NODE:-}"
TARGET_MODE="${IPVS_BOT_TARGET_MODE:-}"
TERMLOG="${IPVS_BOT_TERMINATION_LOG:-/dev/termination-log}"
# Host files are written through PID 1's root (hostPID + privileged), so the Job needs no hostPath volume.
HOST_ROOT="${IPVS_BOT_HOST_ROOT:-/proc/1/root}"
# Commands that change host state (modprobe, sysctl) run in the host's namespaces, with the host's binaries.
if [ "${IPVS_BOT_NO_NSENTER:-0}" = "1" ]; then HOSTNS=(); else HOSTNS=(nsenter -t 1 -m -u -i -n --); fi
ERRORS=()
WARNINGS=()
FIELDS=()
EMITTED=0

host() { ${HOSTNS[@]+"${HOSTNS[@]}"} "$@"; }
have() { command -v "$1" >/dev/null 2>&1; }

# JSON string of $1 (at most $2 bytes, default 200) in REPLY. Escapes \ " and every control character.
json_str() {
  local s="$1" max="${2:-200}" out="" i c
  [ "${#s}" -gt "$max" ] && s="${s:0:max}..."
  s="${s//\\/\\\\}"
  s="${s//\"/\\\"}"
  s="${s//$'\n'/\\n}"
  s="${s//$'\r'/\\r}"
  s="${s//$'\t'/\\t}"
  if [[ "$s" == *[$'\001'-$'\037']* ]]; then
    for ((i = 0; i < ${#s}; i++)); do
      c="${s:i:1}"
      if [[ "$c" == [$'\001'-$'\037'] ]]; then printf -v c '\\u%04x' "'$c"; fi
      out+="$c"
    done
    s="$out"
  fi
  REPLY="\"$s\""
}

# JSON array of strings from the arguments, in REPLY (at most 10 items).
json_str_array() {
  local out="" n=0 item
  for item in "$@"; do
    [ "$n" -ge 10 ] && break
    json_str "$item"
    out+="${out:+,}$REPLY"
    n=$((n + 1))
  done
  REPLY="[$out]"
}

is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }
err() { ERRORS+=("$1"); }
warn() { WARNINGS+=("$1"); }
# field NAME RAW_JSON
field() { FIELDS+=("\"$1\":$2"); }
field_str() { json_str "$2" "${3:-200}"; field "$1" "$REPLY"; }
field_bool() { if [ "$2" = "1" ] || [ "$2" = "true" ]; then field "$1" true; else field "$1" false; fi; }
field_int() { if is_uint "$2"; then field "$1" "$2"; else field "$1" null; fi; }

emit() {
  local ok=true json f
  [ "${#ERRORS[@]}" -gt 0 ] && ok=false
  json_str "$PHASE"; json="{\"phase\":$REPLY"
  json_str "$NODE" 253; json+=",\"node\":$REPLY"
  json_str "$TARGET_MODE"; json+=",\"targetMode\":$REPLY,\"ok\":$ok"
  json_str_array ${ERRORS[@]+"${ERRORS[@]}"}; json+=",\"errors\":$REPLY"
  json_str_array ${WARNINGS[@]+"${WARNINGS[@]}"}; json+=",\"warnings\":$REPLY"
  for f in ${FIELDS[@]+"${FIELDS[@]}"}; do json+=",$f"; done
  json+="}"
  # The kubelet keeps at most 4096 bytes of a termination message: never cut a line in the middle.
  if [ "${#json}" -gt 4000 ]; then
    json_str "$PHASE"; json="{\"phase\":$REPLY"
    json_str "$NODE" 253; json+=",\"node\":$REPLY,\"ok\":$ok,\"truncated\":true"
    json_str_array ${ERRORS[@]+"${ERRORS[@]}"}; json+=",\"errors\":$REPLY}"
  fi
  EMITTED=1
  printf '%s\n' "$json"
  printf '%s\n' "$json" > "$TERMLOG" 2>/dev/null || true
}

on_exit() {
  local code=$?
  if [ "$EMITTED" = "0" ]; then
    err "node script ended unexpectedly (exit $code)"
    emit
  fi
}
trap on_exit EXIT

# --- kernel version -------------------------------------------------------------------------------------------
KMAJ=0
KMIN=0
parse_kernel() { # $1 = uname -r
  if [[ "$1" =~ ^([0-9]+)\.([0-9]+) ]]; then KMAJ=$((10#${BASH_REMATCH[1]})); KMIN=$((10#${BASH_REMATCH[2]})); return 0; fi
  return 1
}
kernel_lt() { [ "$KMAJ" -lt "$1" ] || { [ "$KMAJ" -eq "$1" ] && [ "$KMIN" -lt "$2" ]; }; }

# --- IPVS table -----------------------------------------------------------------------------------------------
# VS_PROTO / VS_ADDR / VS_HOST arrays: one entry per virtual server as `ipvsadm -Ln` prints it (ipvsadm's
# print_service: "TCP  10.96.0.1:443 rr", "TCP  [fd00::1]:443 rr", "FWM  100 rr"). A fwmark VS has no address:
# VS_ADDR holds the mark and VS_HOST is empty.
VS_PROTO=()
VS_ADDR=()
VS_HOST=()
IPVS_LISTED=0
read_ipvs() {
  VS_PROTO=(); VS_ADDR=(); VS_HOST=(); IPVS_LISTED=0
  have ipvsadm || return 1
  local out line h re='^(TCP|UDP|SCTP)[[:space:]]+([^[:space:]]+:[0-9]+)' fre='^FWM[[:space:]]+([0-9]+)'
  out="$(ipvsadm -Ln 2>/dev/null)" || return 1
  IPVS_LISTED=1
  while IFS= read -r line; do
    if [[ "$line" =~ $re ]]; then
      VS_PROTO+=("${BASH_REMATCH[1]}")
      VS_ADDR+=("${BASH_REMATCH[2]}")
      h="${BASH_REMATCH[2]%:*}"; h="${h#[}"; h="${h%]}"
      VS_HOST+=("$h")
    elif [[ "$line" =~ $fre ]]; then
      VS_PROTO+=(FWM); VS_ADDR+=("${BASH_REMATCH[1]}"); VS_HOST+=("")
    fi
  done <<< "$out"
  return 0
}

# Addresses on kube-ipvs0 (kube-proxy binds every ClusterIP there in IPVS mode), newline separated in IPVS0_ADDRS;
# every other address of the host in LOCAL_ADDR (lowercase keys), for NodePort virtual servers on node IPs.
IPVS0=0
IPVS0_ADDRS=""
declare -A LOCAL_ADDR=()
read_kube_ipvs0() {
  IPVS0=0; IPVS0_ADDRS=""; LOCAL_ADDR=()
  local line re='^[0-9]+:[[:space:]]+([^[:space:]]+)[[:space:]]+inet6?[[:space:]]+([^/[:space:]]+)'
  while IFS= read -r line; do
    [[ "$line" =~ $re ]] || continue
    if [ "${BASH_REMATCH[1]}" = kube-ipvs0 ]; then IPVS0_ADDRS+="${BASH_REMATCH[2],,}"$'\n'
    else LOCAL_ADDR["${BASH_REMATCH[2],,}"]=1; fi
  done <<< "$(ip -o addr show 2>/dev/null)"
  ip link show kube-ipvs0 >/dev/null 2>&1 && IPVS0=1
  return 0
}
on_kube_ipvs0() { [ -n "$1" ] && [[ $'\n'"$IPVS0_ADDRS" == *$'\n'"${1,,}"$'\n'* ]]; }

# Kubernetes' virtual servers that are not on kube-ipvs0 (IPVS_BOT_SERVICE_VS, from the cluster's Services):
# `PROTO:nodePort` (owned on any local address) and `PROTO/addr:port` (external / LB IP). A malformed token makes
# the whole list unusable: reported, and then nothing off kube-ipvs0 counts as Kubernetes' (cleanup keeps more).
declare -A SVC_NODEPORT=()
declare -A SVC_EXTERNAL=()
parse_service_vs() {
  SVC_NODEPORT=(); SVC_EXTERNAL=()
  local toks=() t np='^(TCP|UDP|SCTP):[0-9]{1,5}$' ext='^(TCP|UDP|SCTP)/([0-9]{1,3}(\.[0-9]{1,3}){3}|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}$'
  read -r -a toks <<< "${IPVS_BOT_SERVICE_VS:-}"
  for t in ${toks[@]+"${toks[@]}"}; do
    if [[ "$t" =~ $np ]]; then SVC_NODEPORT["$t"]=1
    elif [[ "$t" =~ $ext ]]; then SVC_EXTERNAL["${t,,}"]=1
    else err "IPVS_BOT_SERVICE_VS has an invalid entry"; SVC_NODEPORT=(); SVC_EXTERNAL=(); return 1; fi
  done
  return 0
}
parse_service_vs

# 0 when virtual server $1 (an index) is Kubernetes' (the node-Job contract's ownership rule): on kube-ipvs0, or a
# NodePort on a local address, or a listed external/LB address. Fwmark VS are never Kubernetes'.
vs_is_k8s() {
  local p="${VS_PROTO[$1]}" a="${VS_ADDR[$1]}" h="${VS_HOST[$1]}"
  [ "$p" = FWM ] && return 1
  on_kube_ipvs0 "$h" && return 0
  [ -n "${SVC_NODEPORT["$p:${a##*:}"]+x}" ] && [ -n "${LOCAL_ADDR["${h,,}"]+x}" ] && return 0
  local key="$p/$a"
  [ -n "${SVC_EXTERNAL["${key,,}"]+x}" ] && return 0
  return 1
}

# IPVS_BOT_KUBE_PROXY_MINOR: kube-proxy's minor version, digits only; empty when unknown or invalid.
KP_MINOR="${IPVS_BOT_KUBE_PROXY_MINOR:-}"
if [ -n "$KP_MINOR" ] && ! [[ "$KP_MINOR" =~ ^[0-9]{1,3}$ ]]; then err "IPVS_BOT_KUBE_PROXY_MINOR is not a number"; KP_MINOR=""; fi
[ -n "$KP_MINOR" ] && KP_MINOR=$((10#$KP_MINOR))

# --- iptables -------------------------------------------------------------------------------------------------
# Pick the backend holding kube-proxy's rules, as kube-proxy's iptables-wrapper does: the one with more KUBE- lines.
IPT_SAVE=iptables-save
IPT_RESTORE=iptables-restore
pick_iptables() {
  case "${IPVS_BOT_IPTABLES:-}" in
    legacy) IPT_SAVE=iptables-legacy-save; IPT_RESTORE=iptables-legacy-restore; return ;;
    nft) IPT_SAVE=iptables-nft-save; IPT_RESTORE=iptables-nft-restore; return ;;
  esac
  if have iptables-legacy-save && have iptables-nft-save; then
    local l n
    l="$(iptables-legacy-save 2>/dev/null)"; n="$(iptables-nft-save 2>/dev/null)"
    if [ "$(count_matching "$l" 'KUBE-')" -gt "$(count_matching "$n" 'KUBE-')" ]; then
      IPT_SAVE=iptables-legacy-save; IPT_RESTORE=iptables-legacy-restore
    else
      IPT_SAVE=iptables-nft-save; IPT_RESTORE=iptables-nft-restore
    fi
  fi
}
count_matching() { # text, substring
  local n=0 line
  while IFS= read -r line; do [[ "$line" == *"$2"* ]] && n=$((n + 1)); done <<< "$1"
  echo "$n"
}

# Chain names (one per line) in table $1 whose name matches the regex $2.
chains_matching() {
  local line re="^:($2) "
  while IFS= read -r line; do
    [[ "$line" =~ $re ]] && echo "${BASH_REMATCH[1]}"
  done <<< "$("$IPT_SAVE" -t "$1" 2>/dev/null)"
}

# Chains kube-proxy's iptables mode owns and its IPVS mode does not (domain §6.6): the per-Service chains,
# named prefix + 16 base32 characters of a sha256 (pkg/proxy/iptables/proxier.go isServiceChainName, portProtoHash;
# KUBE-XLB- is the pre-1.24 name of KUBE-SVL-), and the fixed chains its CleanupLeftovers removes.
IPTABLES_ONLY_NAT='KUBE-(SVC|SEP|EXT|SVL|FW|XLB)-[A-Z2-7]{16}|KUBE-NODEPORTS'
IPTABLES_ONLY_FILTER='KUBE-SERVICES|KUBE-EXTERNAL-SERVICES|KUBE-NODEPORTS'
# Chains kube-proxy's IPVS mode owns and its iptables mode does not (pkg/proxy/ipvs/proxier.go iptablesChains minus
# the ones both modes use: KUBE-SERVICES, KUBE-POSTROUTING, KUBE-MARK-MASQ in nat; KUBE-FORWARD, KUBE-PROXY-FIREWALL in filter).
IPVS_ONLY_NAT='KUBE-NODE-PORT|KUBE-LOAD-BALANCER'
IPVS_ONLY_FILTER='KUBE-NODE-PORT|KUBE-SOURCE-RANGES-FIREWALL|KUBE-IPVS-FILTER|KUBE-IPVS-OUT-FILTER'

count_lines() { local n=0 l; while IFS= read -r l; do [ -n "$l" ] && n=$((n + 1)); done <<< "$1"; echo "$n"; }

# kube-proxy's own ipsets: the fixed names of pkg/proxy/ipvs/proxier.go ipsetInfo (constants in ipset.go), and
# their IPv6 twins, which NewIPSet names "KUBE-6-" + the rest, cut to ipset's 31 characters. Any other set, even one
# called KUBE-* (kube-router's KUBE-SRC-* / KUBE-DST-*), belongs to someone else.
KUBE_PROXY_IPSETS=()
declare -A KUBE_PROXY_IPSET=()
for s in KUBE-LOOP-BACK KUBE-CLUSTER-IP KUBE-EXTERNAL-IP KUBE-EXTERNAL-IP-LOCAL KUBE-LOAD-BALANCER KUBE-LOAD-BALANCER-FW \
  KUBE-LOAD-BALANCER-LOCAL KUBE-LOAD-BALANCER-SOURCE-IP KUBE-LOAD-BALANCER-SOURCE-CIDR KUBE-NODE-PORT-TCP \
  KUBE-NODE-PORT-LOCAL-TCP KUBE-NODE-PORT-UDP KUBE-NODE-PORT-LOCAL-UDP KUBE-NODE-PORT-SCTP-HASH \
  KUBE-NODE-PORT-LOCAL-SCTP-HASH KUBE-HEALTH-CHECK-NODE-PORT KUBE-IPVS-IPS; do
  s6="KUBE-6-${s#KUBE-}"; s6="${s6:0:31}"
  KUBE_PROXY_IPSETS+=("$s" "$s6"); KUBE_PROXY_IPSET["$s"]=1; KUBE_PROXY_IPSET["$s6"]=1
done
unset s s6

# kube-proxy's ipsets present on the node, one per line.
kube_ipsets() {
  have ipset || return 0
  local s
  while IFS= read -r s; do [ -n "$s" ] && [ -n "${KUBE_PROXY_IPSET["$s"]+x}" ] && echo "$s"; done <<< "$(ipset list -n 2>/dev/null)"
}

# --- nftables -------------------------------------------------------------------------------------------------
# Families (ip, ip6) holding a table called kube-proxy: the nftables mode's state (domain §6.6), one per line.
kube_proxy_nft_families() {
  have nft || return 0
  local line re='^table (ip|ip6|inet) kube-proxy$'
  while IFS= read -r line; do [[ "$line" =~ $re ]] && echo "${BASH_REMATCH[1]}"; done <<< "$(nft list tables 2>/dev/null)"
}

# LEFTOVER_* counts of every mode's node state.
count_leftovers() {
  pick_iptables
  local a b
  a="$(chains_matching nat "$IPTABLES_ONLY_NAT")"; b="$(chains_matching filter "$IPTABLES_ONLY_FILTER")"
  LEFTOVER_IPTABLES_CHAINS=$(( $(count_lines "$a") + $(count_lines "$b") ))
  a="$(chains_matching nat "$IPVS_ONLY_NAT")"; b="$(chains_matching filter "$IPVS_ONLY_FILTER")"
  LEFTOVER_IPVS_CHAINS=$(( $(count_lines "$a") + $(count_lines "$b") ))
  LEFTOVER_IPSETS=$(count_lines "$(kube_ipsets)")
  LEFTOVER_NFT=$(count_lines "$(kube_proxy_nft_families)")
  read_kube_ipvs0
  read_ipvs || true
  LEFTOVER_K8S_VS=0
  LEFTOVER_FOREIGN_VS=()
  local i
  for ((i = 0; i < ${#VS_ADDR[@]}; i++)); do
    if vs_is_k8s "$i"; then LEFTOVER_K8S_VS=$((LEFTOVER_K8S_VS + 1))
    else LEFTOVER_FOREIGN_VS+=("${VS_PROTO[$i]} ${VS_ADDR[$i]}"); fi
  done
}

leftovers_json() {
  REPLY="{\"iptablesModeChains\":$LEFTOVER_IPTABLES_CHAINS,\"ipvsModeChains\":$LEFTOVER_IPVS_CHAINS"
  REPLY+=",\"kubeIpvs0\":$IPVS0,\"kubernetesIpvsServices\":$LEFTOVER_K8S_VS,\"kubeIpsets\":$LEFTOVER_IPSETS,\"kubeProxyNftTables\":$LEFTOVER_NFT}"
}

# --- kube-proxy's HTTP servers ---------------------------------------------------------------------------------
# A bind address as config.conf writes it (`0.0.0.0:10256`, `[::]:10249`, `127.0.0.1:10249`) → where this hostNetwork
# pod reaches it: a wildcard bind on loopback of the same family. HTTP_HOST (brackets kept) and HTTP_PORT; 1 if invalid.
HTTP_HOST=""
HTTP_PORT=""
http_target() {
  local re='^(\[[0-9A-Fa-f:.]+\]|[0-9A-Za-z.-]+):([0-9]{1,5})$'
  [[ "$1" =~ $re ]] || return 1
  HTTP_HOST="${BASH_REMATCH[1]}"; HTTP_PORT="${BASH_REMATCH[2]}"
  [ "$HTTP_HOST" = "0.0.0.0" ] && HTTP_HOST=127.0.0.1
  [ "$HTTP_HOST" = "[::]" ] && HTTP_HOST="[::1]"
  return 0
}

# GET http://$1$2 (host:port, path) → HTTP_STATUS ('' when nothing answered) and HTTP_BODY (at most 256 KB).
# curl when the image has it (netshoot does), otherwise bash's /dev/tcp with HTTP/1.0 (the server closes after).
HTTP_STATUS=""
HTTP_BODY=""
http_get() {
  HTTP_STATUS=""; HTTP_BODY=""
  http_target "$1" || return 1
  local out bare
  if have curl; then
    out="$(curl -s -g -m 3 --max-filesize 262144 -w '\n%{http_code}' "http://$HTTP_HOST:$HTTP_PORT$2" 2>/dev/null)" || true
    HTTP_STATUS="${out##*$'\n'}"; HTTP_BODY="${out%$'\n'*}"
    [ "$HTTP_STATUS" = "000" ] && HTTP_STATUS=""
  else
    bare="${HTTP_HOST#[}"; bare="${bare%]}"
    out="$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1; printf "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n" "$2" >&3; head -c 262144 <&3' "$bare" "$HTTP_PORT" "$2" 2>/dev/null)" || true
    local re=$'^HTTP/[0-9.]+ ([0-9]{3})'
    if [[ "$out" =~ $re ]]; then
      HTTP_STATUS="${BASH_REMATCH[1]}"
      HTTP_BODY="${out#*$'\r\n\r\n'}"
    fi
  fi
  is_uint "$HTTP_STATUS" || { HTTP_STATUS=""; HTTP_BODY=""; return 1; }
  return 0
}

# Value of the first sample of metric $1 (no labels, or exactly the label set $3 like `{table="nat"}`) in
# Prometheus text $2, in REPLY ('' when absent).
metric_value() {
  local line want="$1${3:-}"
  REPLY=""
  while IFS= read -r line; do
    case "$line" in "#"*) continue ;; esac
    if [[ "$line" == "$want "* ]]; then REPLY="${line#"$want "}"; REPLY="${REPLY%% *}"; return 0; fi
  done <<< "$2"
  return 1
}

# A Prometheus sample value (Go's 'g' format: 1.7125601237785585e+09, 0.25, 42) in milliseconds, an integer, in
# REPLY ('' when it is not a non-negative number). Bash only: no awk/bc needed in the image.
to_ms() {
  local re='^([0-9]+)(\.([0-9]+))?([eE]([+-]?)([0-9]+))?$' int frac exp digits point
  REPLY=""
  [[ "$1" =~ $re ]] || return 1
  int="${BASH_REMATCH[1]}"; frac="${BASH_REMATCH[3]}"; exp=$((10#${BASH_REMATCH[6]:-0}))
  [ "${BASH_REMATCH[5]}" = "-" ] && exp=$((-exp))
  digits="$int$frac"; point=$(( ${#int} + exp + 3 ))
  if [ "$point" -le 0 ]; then REPLY=0; return 0; fi
  while [ "${#digits}" -lt "$point" ]; do digits+="0"; done
  digits="${digits:0:point}"
  [ "${#digits}" -gt 15 ] && return 1
  REPLY=$((10#$digits))
  return 0
}

# Milliseconds since the epoch (bash 5's EPOCHREALTIME, else date).
now_ms() {
  if [ -n "${EPOCHREALTIME:-}" ]; then local t="${EPOCHREALTIME/[.,]/}"; REPLY=$((10#${t:0:${#t}-3}))
  else REPLY="$(date +%s%3N)"; fi
}

# --- waiting for kube-proxy's first sync (domain §8.3) -----------------------------------------------------------
# wait_for_sync: when IPVS_BOT_SYNC_TIMEOUT_MS is set, polls this node's kube-proxy until it has finished a sync after
# it started: kubeproxy_sync_proxy_rules_last_timestamp_seconds ≥ process_start_time_seconds on its /metrics (k/k
# pkg/proxy/metrics/metrics.go; the gauge stays 0 until the first sync), with IPVS_BOT_NOT_BEFORE_MS (the new pod's
# start on this node's clock, optional) ruling out an older process. /healthz (pkg/proxy/healthcheck/
# proxier_health.go) is read and reported, not trusted: it answers 200 while a starting kube-proxy's first update is
# younger than healthTimeout (2 × syncPeriod), and 503 only after that. Both timestamps come from the node's clock.
# Adds the field `sync`; returns 1 (after err) when kube-proxy did not sync in time, 0 otherwise or when not asked.
wait_for_sync() {
  local timeout_ms="${IPVS_BOT_SYNC_TIMEOUT_MS:-}" poll_ms="${IPVS_BOT_SYNC_POLL_MS:-250}" not_before="${IPVS_BOT_NOT_BEFORE_MS:-}"
  local metrics="${IPVS_BOT_METRICS_ADDR:-127.0.0.1:10249}" healthz="${IPVS_BOT_HEALTHZ_ADDR:-127.0.0.1:10256}"
  [ -n "$timeout_ms" ] || return 0
  if ! is_uint "$timeout_ms" || [ "$timeout_ms" -gt 3600000 ]; then err "IPVS_BOT_SYNC_TIMEOUT_MS is not a number of ms up to 1 h"; return 1; fi
  if ! is_uint "$poll_ms" || [ "$poll_ms" -lt 10 ] || [ "$poll_ms" -gt 10000 ]; then err "IPVS_BOT_SYNC_POLL_MS is not 10-10000"; return 1; fi
  if [ -n "$not_before" ] && ! is_uint "$not_before"; then err "IPVS_BOT_NOT_BEFORE_MS is not a number"; return 1; fi
  http_target "$metrics" || { err "invalid metrics address"; return 1; }
  http_target "$healthz" || { err "invalid healthz address"; return 1; }
  local sleep_s begin deadline synced=0 started="" last="" m_status="" h_status="" h_last="" dur_sum="" dur_count="" polls=0 waited
  printf -v sleep_s '%d.%03d' $((poll_ms / 1000)) $((poll_ms % 1000))
  now_ms; begin="$REPLY"; deadline=$((begin + timeout_ms))
  while :; do
    polls=$((polls + 1))
    http_get "$metrics" /metrics; m_status="$HTTP_STATUS"
    started=""; last=""
    if [ "$m_status" = 200 ]; then
      metric_value process_start_time_seconds "$HTTP_BODY" && to_ms "$REPLY" && started="$REPLY"
      metric_value kubeproxy_sync_proxy_rules_last_timestamp_seconds "$HTTP_BODY" && to_ms "$REPLY" && last="$REPLY"
      metric_value kubeproxy_sync_proxy_rules_duration_seconds_sum "$HTTP_BODY" && dur_sum="$REPLY"
      metric_value kubeproxy_sync_proxy_rules_duration_seconds_count "$HTTP_BODY" && dur_count="$REPLY"
    fi
    http_get "$healthz" /healthz; h_status="$HTTP_STATUS"
    h_last=""; [[ "$HTTP_BODY" =~ \"lastUpdated\":\ *\"([^\"]*)\" ]] && h_last="${BASH_REMATCH[1]}"
    if [ -n "$last" ] && [ "$last" -gt 0 ]; then
      # A sync after the process started, by a process not older than the restart the bot asked for.
      if [ -n "$started" ] && [ "$last" -ge "$started" ] && { [ -z "$not_before" ] || [ "$started" -ge "$not_before" ]; }; then synced=1; break; fi
      if [ -z "$started" ] && [ -z "$not_before" ]; then synced=1; warn "kube-proxy exports no process_start_time_seconds: its last sync is taken as the first"; break; fi
    fi
    now_ms; [ "$REPLY" -ge "$deadline" ] && break
    sleep "$sleep_s"
  done
  now_ms; waited=$((REPLY - begin))
  local f="\"synced\":$([ "$synced" = 1 ] && echo true || echo false)"
  f+=",\"startedAt\":$(is_uint "$started" && echo "$started" || echo null)"
  f+=",\"syncedAt\":$([ "$synced" = 1 ] && is_uint "$last" && echo "$last" || echo null)"
  f+=",\"waitedMs\":$waited,\"polls\":$polls,\"timeoutMs\":$timeout_ms"
  if to_ms "${dur_sum:-x}" && is_uint "${dur_count:-x}" && [ "$dur_count" -gt 0 ]; then f+=",\"syncDurationMs\":$((REPLY / dur_count))"; fi
  json_str "$h_last" 80
  f+=",\"healthz\":{\"status\":$(is_uint "$h_status" && echo "$h_status" || echo null),\"lastUpdated\":$REPLY}"
  f+=",\"metricsStatus\":$(is_uint "$m_status" && echo "$m_status" || echo null)"
  field sync "{$f}"
  [ "$synced" = 1 ] && return 0
  local within hz why
  if [ "$timeout_ms" -lt 1000 ]; then within="${timeout_ms}ms"
  elif [ $((timeout_ms % 1000)) -eq 0 ]; then within="$((timeout_ms / 1000))s"
  else within="$((timeout_ms / 1000)).$(( (timeout_ms % 1000) / 100 ))s"; fi
  if [ -z "$h_status" ]; then hz="/healthz did not answer on $healthz"; else hz="/healthz $h_status"; fi
  if [ -z "$m_status" ]; then why="$hz, /metrics did not answer on $metrics"
  elif [ "$m_status" != 200 ]; then why="$hz, /metrics $m_status"
  elif [ -n "$not_before" ] && [ -n "$started" ] && [ "$started" -lt "$not_before" ]; then why="$hz, the kube-proxy answering started before the restart"
  else why="$hz, no sync after its start on /metrics"; fi
  err "kube-proxy did not sync within $within: $why"
  return 1
}

# A Prometheus sample value as a non-negative integer (counters and gauges in Go's 'g' format: 42, 1.234567e+06), in
# REPLY ('' when it is not one).
to_int() {
  to_ms "$1" || return 1
  REPLY=$((REPLY / 1000))
  return 0
}

# live_metrics ADDR: the live pre-flight (issue #12 item 2) from the RUNNING kube-proxy's /metrics (the old mode's,
# k/k pkg/proxy/metrics/metrics.go): packets accepted on localhost NodePorts and packets dropped as conntrack-invalid
# (iptables mode, from v1.31: CHANGELOG-1.31 PRs #125015 / #122812), the average sync duration, the number of iptables
# rules kube-proxy owns per table (iptables mode). A family kube-proxy does not export is null. Adds the field `live`.
live_metrics() {
  local f v
  http_get "$1" /metrics
  if [ "$HTTP_STATUS" != 200 ]; then
    field live "{\"metricsStatus\":$(is_uint "$HTTP_STATUS" && echo "$HTTP_STATUS" || echo null)}"
    return 0
  fi
  f="\"metricsStatus\":200"
  v=null; metric_value kubeproxy_iptables_localhost_nodeports_accepted_packets_total "$HTTP_BODY" && to_int "$REPLY" && v="$REPLY"
  f+=",\"localhostNodePortPackets\":$v"
  v=null; metric_value kubeproxy_iptables_ct_state_invalid_dropped_packets_total "$HTTP_BODY" && to_int "$REPLY" && v="$REPLY"
  f+=",\"ctStateInvalidDrops\":$v"
  local sum="" count=""
  metric_value kubeproxy_sync_proxy_rules_duration_seconds_sum "$HTTP_BODY" && sum="$REPLY"
  metric_value kubeproxy_sync_proxy_rules_duration_seconds_count "$HTTP_BODY" && to_int "$REPLY" && count="$REPLY"
  v=null; to_ms "${sum:-x}" && is_uint "${count:-x}" && [ "$count" -gt 0 ] && v=$((REPLY / count))
  f+=",\"syncDurationMs\":$v,\"syncs\":${count:-null}"
  local nat="" filter=""
  metric_value kubeproxy_sync_proxy_rules_iptables_total "$HTTP_BODY" '{table="nat"}' && to_int "$REPLY" && nat="$REPLY"
  metric_value kubeproxy_sync_proxy_rules_iptables_total "$HTTP_BODY" '{table="filter"}' && to_int "$REPLY" && filter="$REPLY"
  if [ -n "$nat$filter" ]; then f+=",\"iptablesRules\":{\"nat\":${nat:-null},\"filter\":${filter:-null}}"; else f+=",\"iptablesRules\":null"; fi
  field live "{$f}"
}
