# ipvs-bot node script: prep (domain §1, §7, §9.3). Prepares the node for the TARGET mode: for IPVS it loads and
# persists the IPVS modules and probes IPVS the way kube-proxy does; for nftables it checks kernel >= 5.13 and that
# nf_tables answers (`nft list tables`). For every target it loads nf_conntrack/br_netfilter, sets the node-prep
# sysctls, lists IPVS services Kubernetes did not create and counts the old mode's leftovers so the plan can say
# what cleanup will remove.
PROBE_VS="198.51.100.0:20000"   # TEST-NET-2, the address kube-proxy's own probe uses
SCHED="${IPVS_BOT_SCHEDULER:-rr}"
[ -z "$SCHED" ] && SCHED=rr
MODULES_JSON=""
LOADED=()

module_result() { # name state
  json_str "$1"; MODULES_JSON+="${MODULES_JSON:+,}$REPLY:\"$2\""
}
load_module() { # name -> 0 when loaded (modprobe also succeeds for built-in modules)
  host modprobe "$1" >/dev/null 2>&1
}

[ -z "$TARGET_MODE" ] && TARGET_MODE=ipvs   # Jobs from before nftables support
case "$TARGET_MODE" in ipvs|iptables|nftables) ;; *) err "unknown target mode"; field modules "{}"; emit; exit 0 ;; esac

KERNEL="$(uname -r 2>/dev/null)"
field_str kernel "$KERNEL"

case "$SCHED" in
  rr|wrr|lc|wlc|lblc|lblcr|sh|dh|sed|nq|mh|fo|ovf|twos) ;;
  *) err "unsupported IPVS scheduler"; field modules "{}"; emit; exit 0 ;;
esac
field_str scheduler "$SCHED"

if ! parse_kernel "$KERNEL"; then
  err "cannot read the kernel version from uname -r"
  field modules "{}"; emit; exit 0
fi

# Only IPVS mode needs the ip_vs modules; nftables mode needs nf_tables; iptables mode only conntrack.
REQUIRED=()
if [ "$TARGET_MODE" = "ipvs" ]; then
  REQUIRED=(ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh)
  case " ${REQUIRED[*]} " in *" ip_vs_$SCHED "*) ;; *) REQUIRED+=("ip_vs_$SCHED") ;; esac
elif [ "$TARGET_MODE" = "nftables" ]; then
  REQUIRED=(nf_tables)
fi
for m in ${REQUIRED[@]+"${REQUIRED[@]}"}; do
  if load_module "$m"; then module_result "$m" loaded; LOADED+=("$m")
  else module_result "$m" missing; err "kernel module $m could not be loaded"; fi
done

# nf_conntrack_ipv4 was merged into nf_conntrack in Linux 4.19. RHEL 8's 4.18 kernels carry that merge as a
# backport, so below 4.19 fall back to nf_conntrack when nf_conntrack_ipv4 does not exist (as kubespray does).
if kernel_lt 4 19; then
  if load_module nf_conntrack_ipv4; then module_result nf_conntrack_ipv4 loaded; LOADED+=(nf_conntrack_ipv4)
  elif load_module nf_conntrack; then
    module_result nf_conntrack loaded; LOADED+=(nf_conntrack)
    warn "kernel $KERNEL has no nf_conntrack_ipv4; nf_conntrack (backported) is loaded instead"
  else module_result nf_conntrack_ipv4 missing; err "kernel module nf_conntrack_ipv4 could not be loaded"; fi
else
  if load_module nf_conntrack; then module_result nf_conntrack loaded; LOADED+=(nf_conntrack)
  else module_result nf_conntrack missing; err "kernel module nf_conntrack could not be loaded"; fi
fi
field modules "{$MODULES_JSON}"

# Below 4.1 the module facts are reported, but nothing is persisted: the plan blocks such a node (DESIGN step 1).
if [ "$TARGET_MODE" = "ipvs" ] && kernel_lt 4 1; then
  err "kernel $KERNEL is older than 4.1, which ipvs-bot does not migrate (kube-proxy cannot tune IPVS connection reuse there); upgrade the kernel first"
  emit; exit 0
fi

# nftables mode: kube-proxy refuses kernels older than 5.13 ("kube-proxy in nftables mode requires kernel 5.13 or
# later", domain §4.1) and needs a working nf_tables; probe it like kube-proxy's first `nft` call would.
if [ "$TARGET_MODE" = "nftables" ]; then
  NFT_KERNEL=true; NFT_PROBE=skipped; NFT_VERSION=""
  if kernel_lt 5 13; then
    NFT_KERNEL=false
    err "kernel $KERNEL is older than 5.13: kube-proxy in nftables mode requires kernel 5.13 or later"
  fi
  NFT_VERSION_OK=null
  if have nft; then
    NFT_VERSION="$(nft --version 2>/dev/null)"
    # kube-proxy's nftables mode needs the nft CLI >= 1.0.1 (kubernetes.io blog 2025-02-28, "NFTables mode for kube-proxy").
    if [[ "$NFT_VERSION" =~ v([0-9]+)\.([0-9]+)(\.([0-9]+))? ]]; then
      nv=$(( 10#${BASH_REMATCH[1]} * 1000000 + 10#${BASH_REMATCH[2]} * 1000 + 10#${BASH_REMATCH[4]:-0} ))
      if [ "$nv" -ge 1000001 ]; then NFT_VERSION_OK=true
      else NFT_VERSION_OK=false; err "nft ${BASH_REMATCH[0]#v} is older than 1.0.1, which kube-proxy's nftables mode needs"; fi
    fi
    if out="$(nft list tables 2>&1)"; then NFT_PROBE=ok
    else NFT_PROBE=failed; err "nftables probe failed (nft list tables), kube-proxy would crash-loop in nftables mode: $out"; fi
  else
    warn "nft is not in the Job image: nftables probe skipped"
  fi
  json_str "$NFT_VERSION" 80
  field nftables "{\"kernel\":$NFT_KERNEL,\"probe\":\"$NFT_PROBE\",\"nftVersion\":$REPLY,\"nftVersionOk\":$NFT_VERSION_OK}"
  # Like the < 4.1 case for IPVS: report, but change nothing on a node that cannot run the target mode.
  if [ "$NFT_KERNEL" = "false" ]; then emit; exit 0; fi
fi

# br_netfilter is needed by bridge CNIs in every mode; report it but do not block on it.
BRNF=0
if load_module br_netfilter; then BRNF=1; LOADED+=(br_netfilter); field optionalModules '{"br_netfilter":"loaded"}'
else field optionalModules '{"br_netfilter":"missing"}'; warn "br_netfilter could not be loaded (only bridge-based CNIs need it)"; fi

# Persist, so a reboot keeps IPVS mode working. Written atomically; rewritten only when the content changes.
write_host_file() { # path content
  local dir="${1%/*}" tmp
  if [ -f "$1" ] && [ "$(< "$1")" = "${2%$'\n'}" ]; then return 0; fi
  mkdir -p "$dir" 2>/dev/null || return 1
  tmp="$1.ipvs-bot.tmp"
  printf '%s' "$2" > "$tmp" 2>/dev/null && mv -f "$tmp" "$1" 2>/dev/null
}
# Only IPVS mode needs modules at boot (kube-proxy in nftables mode loads nf_tables through nft itself). A file an
# earlier IPVS run wrote stays, so a later rollback to IPVS still finds its modules after a reboot.
if [ "$TARGET_MODE" = "ipvs" ]; then
  MODFILE_CONTENT="# Written by ipvs-bot: kernel modules for kube-proxy in IPVS mode."$'\n'
  for m in "${LOADED[@]}"; do MODFILE_CONTENT+="$m"$'\n'; done
  if write_host_file "$HOST_ROOT/etc/modules-load.d/ipvs-bot.conf" "$MODFILE_CONTENT"; then
    field_str modulesFile /etc/modules-load.d/ipvs-bot.conf
  else err "could not write /etc/modules-load.d/ipvs-bot.conf"; fi
fi

# The ARP sysctls strictARP changes, as they are before the migration, so a rollback can put them back.
SB_JSON=""
for k in net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce; do
  v="$(host sysctl -n "$k" 2>/dev/null)" || v=""
  if [[ "$v" =~ ^[0-9]+$ ]]; then json_str "$k"; SB_JSON+="${SB_JSON:+,}$REPLY:\"$v\""; fi
done
field sysctlsBefore "{$SB_JSON}"

SYSCTLS=(net.ipv4.ip_forward=1)
[ "$BRNF" = "1" ] && SYSCTLS+=(net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1)
SYSCTL_CONTENT="# Written by ipvs-bot: node settings kube-proxy relies on (domain 1.3)."$'\n'
SYSCTL_JSON=""
for kv in "${SYSCTLS[@]}"; do
  SYSCTL_CONTENT+="${kv%%=*} = ${kv#*=}"$'\n'
  if host sysctl -w "$kv" >/dev/null 2>&1; then state=set
  else
    state=failed
    if [ "$kv" = "net.ipv4.ip_forward=1" ]; then err "could not set $kv"; else warn "could not set $kv"; fi
  fi
  json_str "${kv%%=*}"; SYSCTL_JSON+="${SYSCTL_JSON:+,}$REPLY:\"$state\""
done
field sysctls "{$SYSCTL_JSON}"
if write_host_file "$HOST_ROOT/etc/sysctl.d/90-ipvs-bot.conf" "$SYSCTL_CONTENT"; then
  field_str sysctlFile /etc/sysctl.d/90-ipvs-bot.conf
else err "could not write /etc/sysctl.d/90-ipvs-bot.conf"; fi

# Probe IPVS like kube-proxy >= 1.27 does: add and delete a dummy virtual server with the scheduler.
if [ "$TARGET_MODE" != "ipvs" ]; then
  field_str ipvsProbe "not-needed"
elif have ipvsadm; then
  ipvsadm -D -t "$PROBE_VS" >/dev/null 2>&1   # a probe left over by an interrupted earlier run
  if out="$(ipvsadm -A -t "$PROBE_VS" -s "$SCHED" 2>&1)"; then
    ipvsadm -D -t "$PROBE_VS" >/dev/null 2>&1
    field_str ipvsProbe ok
  else
    field_str ipvsProbe failed
    err "IPVS probe failed, kube-proxy would crash-loop in IPVS mode: $out"
  fi
else
  field_str ipvsProbe skipped
  warn "ipvsadm is not in the Job image: IPVS probe skipped"
fi

count_leftovers
if [ "$IPVS_LISTED" = "1" ]; then
  field_int ipvsServices "${#VS_ADDR[@]}"
  json_str_array ${LEFTOVER_FOREIGN_VS[@]+"${LEFTOVER_FOREIGN_VS[@]}"}
  field foreignIpvsServices "$REPLY"
  field_int foreignIpvsServicesCount "${#LEFTOVER_FOREIGN_VS[@]}"
  [ "${#LEFTOVER_FOREIGN_VS[@]}" -gt 0 ] && warn "this node has IPVS services Kubernetes did not create; cleanup will keep them"
else
  field ipvsServices null
fi
leftovers_json; field leftovers "$REPLY"

# What the running kube-proxy says about the traffic a new mode would change (lib.sh live_metrics), when the bot asks.
[ -n "${IPVS_BOT_METRICS_ADDR:-}" ] && live_metrics "$IPVS_BOT_METRICS_ADDR"

emit
exit 0
