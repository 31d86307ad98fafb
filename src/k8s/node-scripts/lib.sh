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
