#!/usr/bin/env bash
# The local checkpoint/restore demo: a counter runs under crik as PID 1 in fresh namespaces (as in a
# container), gets SIGTERM as a pod on a node going away would, and each new "pod" restores it from
# the image directory, a volume each pod mounts. The count goes on across the generations. Needs root
# (namespaces and CRIU). CRIK_BIN runs that crik instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."

PODS=${PODS:-4}
SECONDS_PER_POD=${SECONDS_PER_POD:-3}

if [ "$(id -u)" -ne 0 ]; then
    echo "demo.sh: run as root: crik needs PID namespaces and CRIU needs CAP_SYS_ADMIN" >&2
    exit 1
fi
bash scripts/install-criu.sh
crik=${CRIK_BIN:-}
if [ -z "$crik" ]; then
    echo "demo: building crik"
    dotnet build src/Crik.Cli -c Release -nologo -v quiet >/dev/null
    crik=$PWD/artifacts/bin/Crik.Cli/release/crik
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/crik-demo.XXXXXX")
# The volume outlives every pod, and each pod mounts it at imageDir, as a pod mounts its
# PersistentVolumeClaim: a bind mount in the pod's own mount namespace, gone with the pod.
volume=$work/volume
images=$work/images
mkdir "$volume" "$images"
printf 'imageDir: %s\n' "$images" >"$work/config.yaml"
echo "demo: each pod mounts the volume $volume at its image directory $images"

for pod in $(seq 1 "$PODS"); do
    echo "demo: --- pod $pod starts ---"
    # A new PID, mount, IPC and UTS namespace per pod, as a container runtime gives one.
    unshare --pid --fork --mount-proc --ipc --uts --kill-child \
        sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh "$volume" "$images" \
        "$crik" run --config "$work/config.yaml" -- \
        sh -c 'i=0; while :; do echo "count $i"; i=$((i+1)); sleep 0.5; done' \
        > >(sed -u "s/^/[pod $pod] /") 2>&1 &
    unshare_pid=$!
    sleep "$SECONDS_PER_POD"
    crik_pid=$(pgrep -P "$unshare_pid" -x crik)
    echo "demo: node going away: SIGTERM to pod $pod's crik"
    kill -TERM "$crik_pid"
    wait "$unshare_pid" || { echo "demo: pod $pod's crik failed" >&2; exit 1; }
    sleep 0.2
done
echo "demo: --- done: the count went on across $PODS pods; checkpoints are in the volume $volume ---"
ls "$volume"
