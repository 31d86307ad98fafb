# ipvs-bot node script: verify (domain §4.2, §4.3, §5). Reads what kube-proxy on this node really does and runs
# the service checks from the node's network namespace (the Job is hostNetwork). Ping is judged as a mode
# fingerprint only: a ClusterIP answers in IPVS mode (bound to kube-ipvs0) and must not in iptables/nftables mode.
METRICS="${IPVS_BOT_METRICS_ADDR:-127.0.0.1:10249}"
TCP_TARGET="${IPVS_BOT_TCP_TARGET:-}"
DNS_NAME="${IPVS_BOT_DNS_NAME:-}"
DNS_SERVER="${IPVS_BOT_DNS_SERVER:-}"
PING_TARGET="${IPVS_BOT_PING_TARGET:-}"
EXPECTED="${IPVS_BOT_EXPECTED_SERVICES:-}"
HOSTPORT_RE='^(\[[0-9A-Fa-f:.]+\]|[0-9A-Za-z.-]+):([0-9]{1,5})$'
HOST_RE='^[0-9A-Za-z.:-]+$'

case "$TARGET_MODE" in ipvs|iptables|nftables) ;; *) err "unknown target mode"; emit; exit 0 ;; esac

# 1. /proxyMode from kube-proxy's metrics server (authoritative).
PROXY_MODE=""
if [[ "$METRICS" =~ $HOSTPORT_RE ]]; then
  mhost="${BASH_REMATCH[1]}"; mport="${BASH_REMATCH[2]}"
  [ "$mhost" = "0.0.0.0" ] && mhost=127.0.0.1
  if have curl; then
    PROXY_MODE="$(curl -s -m 5 "http://$mhost:$mport/proxyMode" 2>/dev/null)"
  else
    # bash-only HTTP GET, for images without curl
    PROXY_MODE="$(timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1"; printf "GET /proxyMode HTTP/1.0\r\nHost: localhost\r\n\r\n" >&3; b=0; while IFS= read -r l <&3; do l="${l%"$2"}"; if [ "$b" = 1 ]; then printf "%s" "$l"; elif [ -z "$l" ]; then b=1; fi; done' "$mhost" "$mport" $'\r' 2>/dev/null)"
  fi
  PROXY_MODE="${PROXY_MODE//[[:space:]]/}"
else
  err "invalid metrics address"
fi
field_str proxyMode "$PROXY_MODE" 40
if [ -z "$PROXY_MODE" ]; then err "kube-proxy did not answer on $METRICS/proxyMode"
elif [ "$PROXY_MODE" != "$TARGET_MODE" ]; then err "kube-proxy reports mode $PROXY_MODE, expected $TARGET_MODE"; fi

# 2. kube-ipvs0 and the IPVS table.
read_kube_ipvs0
field_bool kubeIpvs0 "$IPVS0"
if read_ipvs; then
  field_int ipvsServices "${#VS_ADDR[@]}"
  K8S_VS=0
  for ((i = 0; i < ${#VS_HOST[@]}; i++)); do on_kube_ipvs0 "${VS_HOST[$i]}" && K8S_VS=$((K8S_VS + 1)); done
  field_int kubernetesIpvsServices "$K8S_VS"
else
  field ipvsServices null
  warn "ipvsadm is not available: IPVS virtual servers not counted"
fi
# 2b. kube-proxy's nftables tables: present in nftables mode, gone in the others (kube-proxy removes them at start).
if have nft; then
  NFT_FAMS=()
  while IFS= read -r fam; do [ -n "$fam" ] && NFT_FAMS+=("$fam kube-proxy"); done <<< "$(kube_proxy_nft_families)"
  json_str_array ${NFT_FAMS[@]+"${NFT_FAMS[@]}"}
  field nftTables "$REPLY"
  if [ "$TARGET_MODE" = "nftables" ]; then
    [ "${#NFT_FAMS[@]}" -gt 0 ] || err "kube-proxy's nftables table (ip kube-proxy) does not exist"
  elif [ "${#NFT_FAMS[@]}" -gt 0 ]; then
    err "kube-proxy's nftables tables are still there (${NFT_FAMS[*]}): an nftables leftover"
  fi
else
  field nftTables null
  [ "$TARGET_MODE" = "nftables" ] && warn "nft is not in the Job image: kube-proxy's nftables tables not checked"
fi
pick_iptables
KSVC="$(chains_matching nat 'KUBE-SVC-[A-Z0-9]+')"
field_int kubeSvcChains "$(count_lines "$KSVC")"

if [ "$TARGET_MODE" = "ipvs" ]; then
  [ "$IPVS0" = "1" ] || err "kube-ipvs0 does not exist"
  if [ "$IPVS_LISTED" = "1" ] && is_uint "$EXPECTED" && [ "${#VS_ADDR[@]}" -lt "$EXPECTED" ]; then
    err "only ${#VS_ADDR[@]} IPVS virtual servers, expected at least $EXPECTED (one per ClusterIP Service port)"
  fi
else
  [ "$IPVS0" = "1" ] && err "kube-ipvs0 still exists: ClusterIPs stay local addresses on this node until it is removed"
fi

# 3. TCP connect to a Service (the real service check).
if [ -n "$TCP_TARGET" ]; then
  tcp_ok=0
  if [[ "$TCP_TARGET" =~ $HOSTPORT_RE ]]; then
    thost="${BASH_REMATCH[1]}"; thost="${thost#[}"; thost="${thost%]}"
    timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$thost" "${BASH_REMATCH[2]}" >/dev/null 2>&1 && tcp_ok=1
  else err "invalid TCP target"; fi
  json_str "$TCP_TARGET" 80; t="$REPLY"
  field tcp "{\"target\":$t,\"ok\":$([ "$tcp_ok" = 1 ] && echo true || echo false)}"
  [ "$tcp_ok" = 1 ] || err "TCP connect to $TCP_TARGET failed"
fi

# 4. DNS through the cluster DNS Service.
if [ -n "$DNS_NAME" ]; then
  dns_ok=0
  if [[ "$DNS_NAME" =~ $HOST_RE ]] && { [ -z "$DNS_SERVER" ] || [[ "$DNS_SERVER" =~ $HOST_RE ]]; }; then
    if [ -n "$DNS_SERVER" ] && have dig; then
      ans="$(dig +short +time=2 +tries=2 "@$DNS_SERVER" "$DNS_NAME" 2>/dev/null)"; [ -n "$ans" ] && dns_ok=1
    elif [ -n "$DNS_SERVER" ] && have nslookup; then
      timeout 8 nslookup "$DNS_NAME" "$DNS_SERVER" >/dev/null 2>&1 && dns_ok=1
    elif have getent; then
      timeout 8 getent hosts "$DNS_NAME" >/dev/null 2>&1 && dns_ok=1
    else warn "no DNS client in the Job image"; fi
  else err "invalid DNS name or server"; fi
  json_str "$DNS_NAME" 120; n="$REPLY"; json_str "$DNS_SERVER" 60; s="$REPLY"
  field dns "{\"name\":$n,\"server\":$s,\"ok\":$([ "$dns_ok" = 1 ] && echo true || echo false)}"
  [ "$dns_ok" = 1 ] || err "DNS lookup of $DNS_NAME failed"
fi

# 5. Ping a ClusterIP: a fingerprint of the mode, not a health check.
if [ -n "$PING_TARGET" ]; then
  replies=0
  if [[ "$PING_TARGET" =~ $HOST_RE ]]; then
    out="$(ping -c 3 -W 1 "$PING_TARGET" 2>/dev/null)"
    [[ "$out" =~ ([0-9]+)\ (packets\ )?received ]] && replies="${BASH_REMATCH[1]}"
  else err "invalid ping target"; fi
  json_str "$PING_TARGET" 60
  field ping "{\"target\":$REPLY,\"replies\":$replies}"
  if [ "$TARGET_MODE" = "ipvs" ] && [ "$replies" = "0" ]; then
    err "ClusterIP $PING_TARGET does not answer ping: it is not bound to kube-ipvs0"
  elif [ "$TARGET_MODE" != "ipvs" ] && [ "$replies" != "0" ]; then
    err "ClusterIP $PING_TARGET answers ping in $TARGET_MODE mode: an IPVS leftover (kube-ipvs0) still owns it"
  fi
fi

emit
exit 0
