#!/usr/bin/env bash
# Start a real single-node SLURM cluster on loopback (Debian packages, root,
# no systemd), for the SLURM test. Prints the PID files it started, one per
# line, on success; exits non-zero with a reason otherwise.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 3; }
command -v apt-get >/dev/null || { echo "needs apt-get (Debian)" >&2; exit 3; }
if ! command -v slurmctld >/dev/null; then
  (apt-get install -y -q --no-install-recommends munge slurmctld slurmd slurm-client >/dev/null 2>&1 ||
   { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends munge slurmctld slurmd slurm-client >/dev/null; }) ||
   { echo "apt-get could not install slurm (root and apt-get are here, so this is a failure, not a skip)" >&2; exit 4; }
fi
host=$(hostname -s)
cpus=$(nproc)
mem=$(( $(awk '/MemAvailable/ {print $2}' /proc/meminfo) / 1024 - 512 ))
[ -f /etc/munge/munge.key ] || mungekey --create >/dev/null
mkdir -p /run/munge /var/lib/slurm/slurmctld /var/lib/slurm/slurmd /var/log/slurm
chown munge:munge /run/munge /etc/munge/munge.key
chown -R slurm:slurm /var/lib/slurm /var/log/slurm
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=mpbench
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
MinJobAge=600
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${mem} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
munge -n | unmunge >/dev/null
slurmctld
slurmd
for _ in $(seq 60); do
  state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.5
done
[ "$state" = idle ] || { echo "slurm node did not become idle (state: ${state:-none})" >&2; exit 4; }
echo /run/munge/munged.pid
echo /run/slurmctld.pid
echo /run/slurmd.pid
