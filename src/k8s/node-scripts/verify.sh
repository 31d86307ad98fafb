# ipvs-bot node script: verify (domain §4.2, §4.3, §5). Reads what kube-proxy on this node really does and runs
# the service checks from the node's network namespace (the Job is hostNetwork). Ping is read per mode and kube-proxy
# version (domain §5): in IPVS mode the node replies before v1.26 and KUBE-IPVS-FILTER rejects it from v1.26 (k/k PR
# #108460); in iptables/nftables mode a reply means a leftover kube-ipvs0. DNS is judged by dig's exit status and a
# parsed answer, never by "printed something" (dig +short prints ";; communications error" on stdout, exit 9).
METRICS="${IPVS_BOT_METRICS_ADDR:-127.0.0.1:10249}"
TCP_TARGET="${IPVS_BOT_TCP_TARGET:-}"
DNS_NAME="${IPVS_BOT_DNS_NAME:-}"
DNS_SERVER="${IPVS_BOT_DNS_SERVER:-}"
DNS_TYPE="${IPVS_BOT_DNS_TYPE:-A}"
DNS_EXPECT="${IPVS_BOT_DNS_EXPECT:-}"
KP_MINOR="${IPVS_BOT_KUBE_PROXY_MINOR:-}"
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
  [ "$mhost" = "[::]" ] && mhost="[::1]"
  if have curl; then
    # -g: the brackets of an IPv6 host are not a curl glob.
    PROXY_MODE="$(curl -g -s -m 5 "http://$mhost:$mport/proxyMode" 2>/dev/null)"
  else
    # bash-only HTTP GET, for images without curl (/dev/tcp takes the address without brackets)
    bare="${mhost#[}"; bare="${bare%]}"
    PROXY_MODE="$(timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1"; printf "GET /proxyMode HTTP/1.0\r\nHost: localhost\r\n\r\n" >&3; b=0; while IFS= read -r l <&3; do l="${l%"$2"}"; if [ "$b" = 1 ]; then printf "%s" "$l"; elif [ -z "$l" ]; then b=1; fi; done' "$bare" "$mport" $'\r' 2>/dev/null)"
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
  read_local_addrs
  for ((i = 0; i < ${#VS_HOST[@]}; i++)); do vs_is_kubernetes "${VS_PROTO[$i]}" "${VS_ADDR[$i]}" "${VS_HOST[$i]}" && K8S_VS=$((K8S_VS + 1)); done
  field_int kubernetesIpvsServices "$K8S_VS"
  field_int foreignIpvsServices "$(( ${#VS_ADDR[@]} - K8S_VS + ${#VS_FWM[@]} ))"
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

# 4. DNS through the cluster DNS Service: dig's exit status, the header's status and a parsed A/AAAA answer.
if [ -n "$DNS_NAME" ]; then
  dns_ok=0; dns_status=""; dns_exit=""; answers=()
  case "$DNS_TYPE" in A|AAAA) ;; *) err "invalid DNS query type"; DNS_TYPE=A ;; esac
  if [[ "$DNS_NAME" =~ $HOST_RE ]] && { [ -z "$DNS_SERVER" ] || [[ "$DNS_SERVER" =~ $HOST_RE ]]; } && { [ -z "$DNS_EXPECT" ] || [[ "$DNS_EXPECT" =~ $HOST_RE ]]; }; then
    if have dig; then
      srv=(); [ -n "$DNS_SERVER" ] && srv=("@$DNS_SERVER")
      out="$(dig +time=2 +tries=2 +noall +comments +answer ${srv[@]+"${srv[@]}"} "$DNS_NAME" "$DNS_TYPE" 2>/dev/null)"; dns_exit=$?
      hre='status: ([A-Z]+)'; are="^[^;[:space:]]+[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+$DNS_TYPE[[:space:]]+([^[:space:]]+)"
      [[ "$out" =~ $hre ]] && dns_status="${BASH_REMATCH[1]}"
      while IFS= read -r line; do [[ "$line" =~ $are ]] && answers+=("${BASH_REMATCH[1]}"); done <<< "$out"
      if [ "$dns_exit" = 9 ]; then dns_status=timeout; elif [ "$dns_exit" != 0 ] && [ -z "$dns_status" ]; then dns_status=error; fi
      if [ "$dns_exit" = 0 ] && [ "$dns_status" = NOERROR ] && [ "${#answers[@]}" -gt 0 ]; then
        dns_ok=1
        if [ -n "$DNS_EXPECT" ] && [[ " ${answers[*]} " != *" $DNS_EXPECT "* ]]; then dns_ok=0; dns_status="wrong-answer"; fi
      elif [ "$dns_status" = NOERROR ]; then dns_status="NOERROR, no $DNS_TYPE record"; fi
    elif [ -n "$DNS_SERVER" ] && have nslookup; then
      timeout 8 nslookup "$DNS_NAME" "$DNS_SERVER" >/dev/null 2>&1 && dns_ok=1; dns_exit=$?
    elif have getent; then
      timeout 8 getent hosts "$DNS_NAME" >/dev/null 2>&1 && dns_ok=1; dns_exit=$?
    else warn "no DNS client in the Job image"; fi
  else err "invalid DNS name or server"; fi
  json_str "$DNS_NAME" 120; n="$REPLY"; json_str "$DNS_SERVER" 60; sv="$REPLY"; json_str "$dns_status" 60; st="$REPLY"
  json_str_array ${answers[@]+"${answers[@]:0:5}"}; an="$REPLY"
  field dns "{\"name\":$n,\"server\":$sv,\"type\":\"$DNS_TYPE\",\"ok\":$([ "$dns_ok" = 1 ] && echo true || echo false),\"status\":$st,\"answers\":$an,\"exit\":${dns_exit:-null}}"
  if [ "$dns_ok" != 1 ]; then
    case "$dns_status" in
      timeout) err "DNS lookup of $DNS_NAME failed: no answer from ${DNS_SERVER:-the resolver} (timeout)" ;;
      wrong-answer) err "DNS lookup of $DNS_NAME failed: answered ${answers[*]:0:3}, expected $DNS_EXPECT" ;;
      "") err "DNS lookup of $DNS_NAME failed" ;;
      *) err "DNS lookup of $DNS_NAME failed: $dns_status" ;;
    esac
  fi
fi

# 5. Ping a ClusterIP: read for what it means on this mode and version, not as a health check.
if [ -n "$PING_TARGET" ]; then
  replies=0; rejected=0; outcome=error
  if [ "$TARGET_MODE" = ipvs ]; then
    if is_uint "$KP_MINOR"; then if [ "$KP_MINOR" -ge 26 ]; then expected=rejected; else expected=replied; fi
    else expected=replied-or-rejected; fi
  else expected=no-reply; fi
  if [[ "$PING_TARGET" =~ $HOST_RE ]]; then
    fam=(); [[ "$PING_TARGET" == *:* ]] && fam=(-6)
    out="$(ping ${fam[@]+"${fam[@]}"} -c 3 -W 1 "$PING_TARGET" 2>&1)"
    # "3 packets transmitted, 0 received, +3 errors, 100% packet loss": errors are ICMP rejections (iputils).
    if [[ "$out" =~ ([0-9]+)\ (packets\ )?received(,\ \+([0-9]+)\ errors)? ]]; then
      replies="${BASH_REMATCH[1]}"; rejected="${BASH_REMATCH[4]:-0}"
      if [ "$replies" -gt 0 ]; then outcome=replied; elif [ "$rejected" -gt 0 ]; then outcome=rejected; else outcome=no-answer; fi
    fi
  else err "invalid ping target"; fi
  json_str "$PING_TARGET" 60
  field ping "{\"target\":$REPLY,\"replies\":$replies,\"rejected\":$rejected,\"expected\":\"$expected\",\"outcome\":\"$outcome\"}"
  if [ "$expected" = replied ] && { [ "$outcome" = no-answer ] || [ "$outcome" = rejected ]; }; then
    err "ClusterIP $PING_TARGET does not answer ping: it is not bound to kube-ipvs0"
  elif [ "$expected" = no-reply ] && [ "$outcome" = replied ]; then
    err "ClusterIP $PING_TARGET answers ping in $TARGET_MODE mode: an IPVS leftover (kube-ipvs0) still owns it"
  elif [ "$expected" = rejected ] && [ "$outcome" = replied ]; then
    warn "ClusterIP $PING_TARGET answers ping although kube-proxy 1.$KP_MINOR rejects it (KUBE-IPVS-FILTER missing?)"
  fi
fi

emit
exit 0
