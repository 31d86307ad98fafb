# ipvs-bot node script: cleanup (domain §6.6, §8.1). Removes only what the OLD mode (IPVS_BOT_FROM_MODE) left
# behind, after the new kube-proxy has synced. It removes only what kube-proxy itself creates (fixed chain and ipset
# names, see lib.sh), never by a KUBE- prefix, and unlike `kube-proxy --cleanup` it never flushes the whole IPVS
# table: a virtual server goes only when it is Kubernetes' by the ownership rule (lib.sh vs_is_k8s). kube-proxy
# itself cleans across nftables and the other modes (platformCleanup), so a switch to nftables only checks, and a
# switch away from nftables removes the kube-proxy tables only if they are still there.
DRY="${IPVS_BOT_DRY_RUN:-0}"
FROM_MODE="${IPVS_BOT_FROM_MODE:-}"
case "$TARGET_MODE" in ipvs|iptables|nftables) ;; *) err "unknown target mode"; emit; exit 0 ;; esac
if [ -z "$FROM_MODE" ]; then
  # Jobs from before the previous mode was passed: the old mode the target implied then.
  case "$TARGET_MODE" in ipvs) FROM_MODE=iptables ;; iptables) FROM_MODE=ipvs ;; nftables) FROM_MODE=iptables ;; esac
fi
case "$FROM_MODE" in ipvs|iptables|nftables) ;; *) err "unknown previous mode"; emit; exit 0 ;; esac
field_str fromMode "$FROM_MODE"

# IPVS_BOT_RESTORE_SYSCTLS: "key=value ..." for the ARP sysctls strictARP changed (prep's sysctlsBefore). Checked
# in full before anything on the node changes: one bad entry and the Job changes nothing.
RESTORE=()
read -r -a rs_items <<< "${IPVS_BOT_RESTORE_SYSCTLS:-}"
for kv in ${rs_items[@]+"${rs_items[@]}"}; do
  if [[ "$kv" =~ ^(net\.ipv4\.conf\.all\.arp_ignore|net\.ipv4\.conf\.all\.arp_announce)=([0-9]{1,3})$ ]]; then RESTORE+=("$kv")
  else err "IPVS_BOT_RESTORE_SYSCTLS has an invalid entry: only net.ipv4.conf.all.arp_ignore and arp_announce with a number"; emit; exit 0; fi
done

# The new kube-proxy has synced before the old mode's rules go (when the bot asks: IPVS_BOT_SYNC_TIMEOUT_MS; lib.sh
# wait_for_sync): until its first sync they still carry this node's Service traffic. Not synced: nothing is removed.
if ! wait_for_sync; then emit; exit 0; fi

count_leftovers
leftovers_json; field before "$REPLY"
R_CHAINS=0
R_RULES=0
R_VS=0
R_IPVS0=0
R_IPSETS=0
R_NFT=0

# remove_chains SAVE RESTORE TABLE CHAIN_REGEX DROP_KUBE_SET_RULES
# One iptables-restore --noflush transaction per table: delete the jumps into the chains from other chains
# (and, when asked, rules matching one of kube-proxy's own ipsets, which would keep the sets from being destroyed),
# then flush and delete the chains. iptables-restore parses the quoted rule text itself, so no rule text is ever
# eval'ed; -w takes the xtables lock (the host's /run/xtables.lock is mounted) so kube-proxy's and the CNI's
# concurrent iptables calls are not lost.
remove_chains() {
  local save="$1" restore="$2" table="$3" re="^:($4) " drop_sets="$5" saved line payload="" c
  have "$save" || return 0
  saved="$("$save" -t "$table" 2>/dev/null)" || return 0
  local -A target=()
  local chains=()
  while IFS= read -r line; do
    if [[ "$line" =~ $re ]]; then chains+=("${BASH_REMATCH[1]}"); target["${BASH_REMATCH[1]}"]=1; fi
  done <<< "$saved"
  local rules=0 jre='^-A ([^ ]+)( .*)? -[jg] ([^ ]+)( |$)' cre='^-A ([^ ]+) '
  while IFS= read -r line; do
    [[ "$line" =~ $cre ]] || continue
    [ -n "${target[${BASH_REMATCH[1]}]+x}" ] && continue   # flushed with its chain below
    if { [[ "$line" =~ $jre ]] && [ -n "${target[${BASH_REMATCH[3]}]+x}" ]; } || { [ "$drop_sets" = 1 ] && uses_kube_proxy_set "$line"; }; then
      payload+="-D ${line#-A }"$'\n'; rules=$((rules + 1))
    fi
  done <<< "$saved"
  [ "${#chains[@]}" -eq 0 ] && [ "$rules" -eq 0 ] && return 0
  for c in ${chains[@]+"${chains[@]}"}; do payload+="-F $c"$'\n'; done
  for c in ${chains[@]+"${chains[@]}"}; do payload+="-X $c"$'\n'; done
  if [ "$DRY" != "1" ]; then
    local out
    if ! out="$(printf '*%s\n%sCOMMIT\n' "$table" "$payload" | "$restore" -w 10 --noflush 2>&1)"; then
      err "could not remove ${#chains[@]} chains from the $table table ($save): $out"; return 0
    fi
  fi
  R_CHAINS=$((R_CHAINS + ${#chains[@]})); R_RULES=$((R_RULES + rules))
}

# 0 when rule text $1 matches a set of kube-proxy's own (`-m set --match-set NAME ...`, possibly several).
uses_kube_proxy_set() {
  local rest="$1" re='--match-set ([^ ]+)'
  while [[ "$rest" =~ $re ]]; do
    [ -n "${KUBE_PROXY_IPSET["${BASH_REMATCH[1]}"]+x}" ] && return 0
    rest="${rest#*"${BASH_REMATCH[0]}"}"
  done
  return 1
}

# clean_tables NAT_REGEX FILTER_REGEX DROP_KUBE_SET_RULES, for IPv4 and (when present) IPv6.
clean_tables() {
  local save restore
  for family in 4 6; do
    save="$IPT_SAVE"; restore="$IPT_RESTORE"
    if [ "$family" = 6 ]; then save="${save/iptables/ip6tables}"; restore="${restore/iptables/ip6tables}"; fi
    remove_chains "$save" "$restore" nat "$1" "$3"
    remove_chains "$save" "$restore" filter "$2" "$3"
  done
}

if [ "$TARGET_MODE" = "nftables" ]; then
  # kube-proxy in nftables mode removed the iptables/IPVS state at start; this Job only checks that it did.
  [ "$LEFTOVER_IPTABLES_CHAINS" -gt 0 ] && warn "$LEFTOVER_IPTABLES_CHAINS iptables-mode chains are still there after kube-proxy started in nftables mode"
  [ "$LEFTOVER_IPVS_CHAINS" -gt 0 ] && warn "$LEFTOVER_IPVS_CHAINS IPVS-mode chains are still there after kube-proxy started in nftables mode"
  [ "$LEFTOVER_K8S_VS" -gt 0 ] && warn "$LEFTOVER_K8S_VS IPVS services created by Kubernetes are still there after kube-proxy started in nftables mode"
elif [ "$FROM_MODE" = "nftables" ]; then
  # kube-proxy in iptables/IPVS mode deletes the nftables mode's tables when it starts; remove any it missed.
  while IFS= read -r fam; do
    [ -z "$fam" ] && continue
    if [ "$DRY" = "1" ] || nft delete table "$fam" kube-proxy >/dev/null 2>&1; then R_NFT=$((R_NFT + 1))
    else err "could not delete nftables table $fam kube-proxy"; fi
  done <<< "$(kube_proxy_nft_families)"
elif [ "$FROM_MODE" = "iptables" ] && [ "$TARGET_MODE" = "ipvs" ]; then
  # Old mode iptables: KUBE-SVC-*/KUBE-SEP-*/... in nat and the stale filter chains (k/k #102314).
  clean_tables "$IPTABLES_ONLY_NAT" "$IPTABLES_ONLY_FILTER" 0
elif [ "$FROM_MODE" = "ipvs" ] && [ "$TARGET_MODE" = "iptables" ]; then
  # Old mode IPVS: Kubernetes' virtual servers, kube-ipvs0, the IPVS-only chains, then kube-proxy's ipsets.
  for ((i = 0; i < ${#VS_ADDR[@]}; i++)); do
    vs_is_k8s "$i" || continue
    case "${VS_PROTO[$i]}" in TCP) flag=-t ;; UDP) flag=-u ;; SCTP) flag=--sctp-service ;; *) continue ;; esac
    if [ "$DRY" = "1" ] || ipvsadm -D "$flag" "${VS_ADDR[$i]}" >/dev/null 2>&1; then R_VS=$((R_VS + 1))
    else err "could not delete IPVS service ${VS_PROTO[$i]} ${VS_ADDR[$i]}"; fi
  done
  if [ "$IPVS0" = "1" ]; then
    if [ "$DRY" = "1" ] || ip link del kube-ipvs0 >/dev/null 2>&1; then R_IPVS0=1; else err "could not delete kube-ipvs0"; fi
  fi
  clean_tables "$IPVS_ONLY_NAT" "$IPVS_ONLY_FILTER" 1
  while IFS= read -r set; do
    [ -z "$set" ] && continue
    if [ "$DRY" = "1" ] || ipset destroy "$set" >/dev/null 2>&1; then R_IPSETS=$((R_IPSETS + 1))
    else err "could not destroy ipset $set (still referenced?)"; fi
  done <<< "$(kube_ipsets)"
fi

# The ARP sysctls, put back as they were before strictARP, with the host's sysctl.
if [ "${#RESTORE[@]}" -gt 0 ] && [ "$DRY" != "1" ]; then
  RS_JSON=""
  for kv in "${RESTORE[@]}"; do
    if host sysctl -w "$kv" >/dev/null 2>&1; then state="${kv#*=}"; else state=failed; err "could not set $kv"; fi
    json_str "${kv%%=*}"; RS_JSON+="${RS_JSON:+,}$REPLY:\"$state\""
  done
  field restoredSysctls "{$RS_JSON}"
fi

field removed "{\"iptablesChains\":$R_CHAINS,\"iptablesRules\":$R_RULES,\"ipvsServices\":$R_VS,\"kubeIpvs0\":$R_IPVS0,\"ipsets\":$R_IPSETS,\"nftTables\":$R_NFT}"
field_bool dryRun "$DRY"
count_leftovers
json_str_array ${LEFTOVER_FOREIGN_VS[@]+"${LEFTOVER_FOREIGN_VS[@]}"}
field kept "{\"foreignIpvsServices\":${#LEFTOVER_FOREIGN_VS[@]},\"foreign\":$REPLY}"
leftovers_json; field after "$REPLY"
emit
exit 0
