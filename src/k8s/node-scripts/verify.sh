# ipvs-bot node script: verify (domain §4.2, §4.3, §5). Reads what kube-proxy on this node really does and runs
# the service checks from the node's network namespace (the Job is hostNetwork). Ping is read as a mode fingerprint,
# per mode and kube-proxy version (domain §5): it fails a node only in the two cases the node-Job contract names.
METRICS="${IPVS_BOT_METRICS_ADDR:-127.0.0.1:10249}"
TCP_TARGET="${IPVS_BOT_TCP_TARGET:-}"
DNS_NAME="${IPVS_BOT_DNS_NAME:-}"
DNS_SERVER="${IPVS_BOT_DNS_SERVER:-}"
DNS_TYPE="${IPVS_BOT_DNS_TYPE:-A}"
DNS_EXPECT="${IPVS_BOT_DNS_EXPECT:-}"
PING_TARGET="${IPVS_BOT_PING_TARGET:-}"
EXPECTED="${IPVS_BOT_EXPECTED_SERVICES:-}"
HOSTPORT_RE='^(\[[0-9A-Fa-f:.]+\]|[0-9A-Za-z.-]+):([0-9]{1,5})$'
HOST_RE='^[0-9A-Za-z.:-]+$'
IP_RE='^[0-9A-Fa-f.:]+$'

case "$TARGET_MODE" in ipvs|iptables|nftables) ;; *) err "unknown target mode"; emit; exit 0 ;; esac

# 0. kube-proxy's first sync after its restart, when the bot asks for it (IPVS_BOT_SYNC_TIMEOUT_MS: the first Job on
# the node waits; lib.sh wait_for_sync). Nothing below says anything about the new mode before that sync.
if ! wait_for_sync; then emit; exit 0; fi

# 1. /proxyMode from kube-proxy's metrics server (authoritative).
PROXY_MODE=""
if [[ "$METRICS" =~ $HOSTPORT_RE ]]; then
  mhost="${BASH_REMATCH[1]}"; mport="${BASH_REMATCH[2]}"
  # A wildcard bind is reached on loopback of the same family; curl wants IPv6 in brackets, /dev/tcp without.
  [ "$mhost" = "0.0.0.0" ] && mhost=127.0.0.1
  [ "$mhost" = "[::]" ] && mhost="[::1]"
  mbare="${mhost#[}"; mbare="${mbare%]}"
  if have curl; then
    PROXY_MODE="$(curl -s -g -m 5 "http://$mhost:$mport/proxyMode" 2>/dev/null)"
  else
    # bash-only HTTP GET, for images without curl
    PROXY_MODE="$(timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1"; printf "GET /proxyMode HTTP/1.0\r\nHost: localhost\r\n\r\n" >&3; b=0; while IFS= read -r l <&3; do l="${l%"$2"}"; if [ "$b" = 1 ]; then printf "%s" "$l"; elif [ -z "$l" ]; then b=1; fi; done' "$mbare" "$mport" $'\r' 2>/dev/null)"
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
  for ((i = 0; i < ${#VS_ADDR[@]}; i++)); do vs_is_k8s "$i" && K8S_VS=$((K8S_VS + 1)); done
  field_int kubernetesIpvsServices "$K8S_VS"
  field_int foreignIpvsServices "$(( ${#VS_ADDR[@]} - K8S_VS ))"
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

# 4. DNS through the cluster DNS Service. Judged by dig's exit status, the header's status and a parsed answer:
# `dig +short` prints ";; communications error ..." on stdout (exit 9) when nothing answers, and nothing on NXDOMAIN.
# dig exits 0 for every answer it got (NOERROR, NXDOMAIN, REFUSED, SERVFAIL) and 9 when no server replied.
if [ -n "$DNS_NAME" ]; then
  dns_ok=0; dns_status=error; dns_exit=null; dns_reason=""; ANSWERS=()
  case "$DNS_TYPE" in A|AAAA) ;; *) err "invalid DNS record type"; DNS_TYPE=A ;; esac
  if ! [[ "$DNS_NAME" =~ $HOST_RE ]] || { [ -n "$DNS_SERVER" ] && ! [[ "$DNS_SERVER" =~ $IP_RE ]]; } || { [ -n "$DNS_EXPECT" ] && ! [[ "$DNS_EXPECT" =~ $IP_RE ]]; }; then
    err "invalid DNS name, server or expected address"
  elif have dig; then
    out="$(dig +time=2 +tries=2 +noall +comments +answer ${DNS_SERVER:+"@$DNS_SERVER"} "$DNS_NAME" "$DNS_TYPE" 2>&1)"; dns_exit=$?
    hre='status: ([A-Z]+)'
    are="^[^;[:space:]]+[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+$DNS_TYPE[[:space:]]+([0-9A-Fa-f.:]+)[[:space:]]*$"
    if [ "$dns_exit" = 9 ]; then dns_status=timeout; dns_reason="no answer from ${DNS_SERVER:-the resolver} (timeout)"
    elif [ "$dns_exit" != 0 ]; then dns_status=error; dns_reason="dig exited $dns_exit"
    elif [[ "$out" =~ $hre ]]; then dns_status="${BASH_REMATCH[1]}"
    else dns_status=error; dns_reason="no DNS header in dig's output"; fi
    while IFS= read -r line; do [[ "$line" =~ $are ]] && ANSWERS+=("${BASH_REMATCH[1],,}"); done <<< "$out"
    if [ "$dns_exit" = 0 ] && [ "$dns_status" = NOERROR ]; then
      if [ "${#ANSWERS[@]}" -eq 0 ]; then dns_reason="no $DNS_TYPE record in the answer"
      elif [ -n "$DNS_EXPECT" ] && [[ " ${ANSWERS[*]} " != *" ${DNS_EXPECT,,} "* ]]; then dns_reason="it resolves to ${ANSWERS[*]:0:5}, not $DNS_EXPECT"
      else dns_ok=1; fi
    elif [ -z "$dns_reason" ]; then dns_reason="$dns_status"; fi
  elif have getent; then
    # No dig in the image: the system resolver only says whether the name resolves.
    warn "dig is not in the Job image: DNS checked with getent through the pod's resolver"
    if out="$(timeout 8 getent ahosts "$DNS_NAME" 2>/dev/null)"; then dns_status=NOERROR; dns_ok=1; else dns_status=error; dns_reason="getent found no address"; fi
    dns_exit=null
  else warn "no DNS client in the Job image"; dns_reason="no DNS client"; fi
  json_str "$DNS_NAME" 120; n="$REPLY"; json_str "$DNS_SERVER" 60; sv="$REPLY"; json_str "$dns_status" 20; st="$REPLY"
  json_str_array ${ANSWERS[@]+"${ANSWERS[@]:0:5}"}; ans="$REPLY"
  field dns "{\"name\":$n,\"server\":$sv,\"type\":\"$DNS_TYPE\",\"ok\":$([ "$dns_ok" = 1 ] && echo true || echo false),\"status\":$st,\"answers\":$ans,\"exit\":$dns_exit}"
  [ "$dns_ok" = 1 ] || err "DNS lookup of $DNS_NAME failed: $dns_reason"
fi

# 5. Ping a ClusterIP: a fingerprint of the mode and version, not a health check (domain §5). From kube-proxy 1.26
# KUBE-IPVS-FILTER REJECTs new packets to kube-ipvs0 addresses that are no Service ip:port, echo requests included
# (pkg/proxy/ipvs/proxier.go: -m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst -j REJECT); before,
# the address simply answered. In iptables/nftables mode nothing owns a ClusterIP, so nothing replies.
if [ -n "$PING_TARGET" ]; then
  replies=0; rejected=0; outcome=error
  case "$TARGET_MODE" in
    ipvs)
      if [ -z "$KP_MINOR" ]; then expected=replied-or-rejected
      elif [ "$KP_MINOR" -ge 26 ]; then expected=rejected
      else expected=replied; fi ;;
    *) expected=no-reply ;;
  esac
  if [[ "$PING_TARGET" =~ $IP_RE ]]; then
    fam=(); [[ "$PING_TARGET" == *:* ]] && fam=(-6)
    # iputils prints "3 packets transmitted, 0 received, +3 errors, 100% packet loss"; no summary = ping did not run.
    out="$(ping ${fam[@]+"${fam[@]}"} -n -c 3 -i 0.2 -W 1 "$PING_TARGET" 2>&1)"
    if [[ "$out" =~ ([0-9]+)\ packets\ transmitted,\ ([0-9]+)\ (packets\ )?received(,\ \+([0-9]+)\ errors)? ]]; then
      replies="${BASH_REMATCH[2]}"; rejected="${BASH_REMATCH[5]:-0}"
      if [ "$replies" -gt 0 ]; then outcome=replied; elif [ "$rejected" -gt 0 ]; then outcome=rejected; else outcome=no-answer; fi
    else
      warn "ping $PING_TARGET could not run: ${out:0:160}"
    fi
  else err "invalid ping target"; fi
  json_str "$PING_TARGET" 60
  field ping "{\"target\":$REPLY,\"replies\":$replies,\"rejected\":$rejected,\"expected\":\"$expected\",\"outcome\":\"$outcome\"}"
  if [ "$TARGET_MODE" = ipvs ] && [ "$expected" = replied ] && [ "$outcome" != replied ]; then
    err "ClusterIP $PING_TARGET does not answer ping: it is not bound to kube-ipvs0"
  elif [ "$TARGET_MODE" != ipvs ] && [ "$outcome" = replied ]; then
    err "ClusterIP $PING_TARGET answers ping in $TARGET_MODE mode: an IPVS leftover (kube-ipvs0) still owns it"
  elif [ "$TARGET_MODE" = ipvs ] && [ "$expected" = rejected ] && [ "$outcome" = replied ]; then
    warn "ClusterIP $PING_TARGET answers ping with kube-proxy 1.$KP_MINOR in IPVS mode: KUBE-IPVS-FILTER missing?"
  elif [ "$TARGET_MODE" = ipvs ] && [ "$outcome" = no-answer ]; then
    warn "ClusterIP $PING_TARGET neither answers nor rejects ping in IPVS mode: is it bound to kube-ipvs0?"
  fi
fi

emit
exit 0
