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
# VS_PROTO / VS_ADDR / VS_HOST arrays: one entry per virtual server (FWM services are skipped: no address).
# VS_FWM: fwmark virtual servers ("FWM 100"): never Kubernetes' (kube-proxy creates none).
VS_PROTO=()
VS_ADDR=()
VS_HOST=()
VS_FWM=()
IPVS_LISTED=0
read_ipvs() {
  VS_PROTO=(); VS_ADDR=(); VS_HOST=(); VS_FWM=(); IPVS_LISTED=0
  have ipvsadm || return 1
  local out line re='^(TCP|UDP|SCTP)[[:space:]]+([^[:space:]]+)' fre='^FWM[[:space:]]+([0-9]+)'
  out="$(ipvsadm -Ln 2>/dev/null)" || return 1
  IPVS_LISTED=1
  while IFS= read -r line; do
    if [[ "$line" =~ $fre ]]; then VS_FWM+=("FWM ${BASH_REMATCH[1]}"); continue; fi
    if [[ "$line" =~ $re ]]; then
      VS_PROTO+=("${BASH_REMATCH[1]}")
      VS_ADDR+=("${BASH_REMATCH[2]}")
      local h="${BASH_REMATCH[2]%:*}"; h="${h#[}"; h="${h%]}"
      VS_HOST+=("$h")
    fi
  done <<< "$out"
  return 0
}

# Addresses on kube-ipvs0 (kube-proxy binds every ClusterIP there in IPVS mode), newline separated in IPVS0_ADDRS.
IPVS0=0
IPVS0_ADDRS=""
read_kube_ipvs0() {
  IPVS0=0; IPVS0_ADDRS=""
  ip link show kube-ipvs0 >/dev/null 2>&1 || return 0
  IPVS0=1
  local line re='inet6?[[:space:]]+([^/[:space:]]+)'
  while IFS= read -r line; do
    [[ "$line" =~ $re ]] && IPVS0_ADDRS+="${BASH_REMATCH[1]}"$'\n'
  done <<< "$(ip -o addr show dev kube-ipvs0 2>/dev/null)"
}
on_kube_ipvs0() { [[ $'\n'"$IPVS0_ADDRS" == *$'\n'"$1"$'\n'* ]]; }

# The host's own addresses (every interface but kube-ipvs0), newline separated: where NodePort VS live.
LOCAL_ADDRS=""
read_local_addrs() {
  LOCAL_ADDRS=""
  local line re='^[0-9]+:[[:space:]]+([^[:space:]]+)[[:space:]]+inet6?[[:space:]]+([^/[:space:]]+)'
  while IFS= read -r line; do
    [[ "$line" =~ $re ]] || continue
    [ "${BASH_REMATCH[1]}" = "kube-ipvs0" ] && continue
    LOCAL_ADDRS+="${BASH_REMATCH[2]}"$'\n'
  done <<< "$(ip -o addr show 2>/dev/null)"
}
is_local_addr() { [[ $'\n'"$LOCAL_ADDRS" == *$'\n'"$1"$'\n'* ]]; }

# Kubernetes' virtual servers that are not on kube-ipvs0 (IPVS_BOT_SERVICE_VS, node-Job contract): NodePorts
# ("TCP:30080", on any local address) and external/LB IPs ("TCP/203.0.113.10:80"), pkg/proxy/ipvs/proxier.go
# syncProxyRules binds neither (bindAddr=false). Unknown token shapes are ignored (and reported by the bot's check).
SERVICE_VS=" ${IPVS_BOT_SERVICE_VS:-} "
# vs_is_kubernetes PROTO ADDR(host:port as ipvsadm prints it) HOST
vs_is_kubernetes() {
  on_kube_ipvs0 "$3" && return 0
  local port="${2##*:}"
  [[ "$SERVICE_VS" == *" $1/$2 "* ]] && return 0
  [[ "$SERVICE_VS" == *" $1:$port "* ]] && is_local_addr "$3" && return 0
  return 1
}

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

# Chains kube-proxy's iptables mode owns and its IPVS mode does not (domain §6.6).
IPTABLES_ONLY_NAT='KUBE-(SVC|SEP|EXT|SVL|FW|XLB)-[A-Z0-9]+|KUBE-NODEPORTS'
IPTABLES_ONLY_FILTER='KUBE-SERVICES|KUBE-EXTERNAL-SERVICES|KUBE-NODEPORTS'
# Chains kube-proxy's IPVS mode owns and its iptables mode does not.
IPVS_ONLY_NAT='KUBE-NODE-PORT|KUBE-LOAD-BALANCER'
IPVS_ONLY_FILTER='KUBE-NODE-PORT|KUBE-IPVS-FILTER|KUBE-IPVS-OUT-FILTER'

count_lines() { local n=0 l; while IFS= read -r l; do [ -n "$l" ] && n=$((n + 1)); done <<< "$1"; echo "$n"; }

# kube-proxy's own ipsets: the fixed names of ipsetInfo in k/k pkg/proxy/ipvs/ipset.go (the IPv6 proxier's are
# "KUBE-6-…", cut to ipset's 31 characters). Never every KUBE-* set: kube-router's NetworkPolicy controller names
# its sets KUBE-SRC-*/KUBE-DST-* (domain §6.6).
KUBE_PROXY_IPSETS=" KUBE-LOOP-BACK KUBE-CLUSTER-IP KUBE-EXTERNAL-IP KUBE-EXTERNAL-IP-LOCAL KUBE-LOAD-BALANCER KUBE-LOAD-BALANCER-FW KUBE-LOAD-BALANCER-LOCAL KUBE-LOAD-BALANCER-SOURCE-IP KUBE-LOAD-BALANCER-SOURCE-CIDR KUBE-NODE-PORT-TCP KUBE-NODE-PORT-LOCAL-TCP KUBE-NODE-PORT-UDP KUBE-NODE-PORT-LOCAL-UDP KUBE-NODE-PORT-SCTP-HASH KUBE-NODE-PORT-LOCAL-SCTP-HASH KUBE-HEALTH-CHECK-NODE-PORT KUBE-IPVS-IPS "
is_kube_proxy_ipset() {
  local n="$1" v4
  [[ "$KUBE_PROXY_IPSETS" == *" $n "* ]] && return 0
  if [[ "$n" == KUBE-6-* ]]; then
    # KUBE-6-<rest>, truncated to 31: match the v4 name whose KUBE-6- form starts the same.
    for v4 in $KUBE_PROXY_IPSETS; do
      local six="KUBE-6-${v4#KUBE-}"; [ "${six:0:31}" = "$n" ] && return 0
    done
  fi
  return 1
}
kube_ipsets() {
  have ipset || return 0
  local s
  while IFS= read -r s; do [ -n "$s" ] && is_kube_proxy_ipset "$s" && echo "$s"; done <<< "$(ipset list -n 2>/dev/null)"
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
  read_local_addrs
  read_ipvs || true
  LEFTOVER_K8S_VS=0
  LEFTOVER_FOREIGN_VS=(${VS_FWM[@]+"${VS_FWM[@]}"})
  local i
  for ((i = 0; i < ${#VS_ADDR[@]}; i++)); do
    if vs_is_kubernetes "${VS_PROTO[$i]}" "${VS_ADDR[$i]}" "${VS_HOST[$i]}"; then LEFTOVER_K8S_VS=$((LEFTOVER_K8S_VS + 1))
    else LEFTOVER_FOREIGN_VS+=("${VS_PROTO[$i]} ${VS_ADDR[$i]}"); fi
  done
}

leftovers_json() {
  REPLY="{\"iptablesModeChains\":$LEFTOVER_IPTABLES_CHAINS,\"ipvsModeChains\":$LEFTOVER_IPVS_CHAINS"
  REPLY+=",\"kubeIpvs0\":$IPVS0,\"kubernetesIpvsServices\":$LEFTOVER_K8S_VS,\"kubeIpsets\":$LEFTOVER_IPSETS,\"kubeProxyNftTables\":$LEFTOVER_NFT}"
}
