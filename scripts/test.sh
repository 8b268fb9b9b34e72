#!/usr/bin/env bash
# Runs every test: installs CRIU when root (the CRIU and namespace tests need it), builds, tests,
# and prints one closing line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

# The real-container tests' base image (debootstrap, a few minutes) is made in the background while crik
# builds; every host package is installed before it starts, since apt takes one install at a time. A
# run that stops early leaves it to finish on its own.
base_pid=""
if [ "$(id -u)" -eq 0 ]; then
    bash scripts/install-criu.sh || { echo "test.sh: installing CRIU failed" >&2; exit 1; }
    # gunicorn: a real pre-fork server for the copy-on-write restore test (PreForkServerTests); clang and
    # zlib1g-dev link NativeAOT; podman, runc and debootstrap run the real-container tests; jupyterhub is the
    # hub whose spawner starts crik pods (JupyterHubTests); libfuse3-dev and fuse3 build and mount the failing
    # network volume, and e2fsprogs makes and maps the ext4 disk with a bad block on it (FailingVolumeTests).
    host_packages=()
    [ -x /usr/bin/gunicorn ] || host_packages+=(gunicorn)
    [ -x /usr/bin/jupyterhub ] || host_packages+=(jupyterhub)
    command -v clang >/dev/null || host_packages+=(clang)
    [ -e /usr/include/zlib.h ] || host_packages+=(zlib1g-dev)
    [ -e /usr/include/fuse3/fuse.h ] || host_packages+=(libfuse3-dev fuse3)
    command -v debugfs >/dev/null || host_packages+=(e2fsprogs)
    for tool in podman runc debootstrap; do
        command -v "$tool" >/dev/null || host_packages+=("$tool")
    done
    if [ ${#host_packages[@]} -gt 0 ]; then
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${host_packages[@]}" >/dev/null; } \
            || { echo "test.sh: installing ${host_packages[*]} failed" >&2; exit 1; }
    fi
else
    echo "test.sh: not root; tests that need root, namespaces or CRIU will be reported as skipped" >&2
fi
# promtool checks examples/monitoring/ (the alerts' rule tests, the dashboard's queries). It comes in
# Debian's prometheus package, whose install would start a Prometheus on port 9090: a policy-rc.d that
# refuses every start (Docker images have one; otherwise one is put there for the install and removed)
# keeps it from starting, and on a machine run by systemd the service is also disabled and stopped.
install_promtool() {
    local policy=/usr/sbin/policy-rc.d made_policy="" status
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\n# test.sh: no service starts while the prometheus package installs\nexit 101\n' >"$policy" \
            && chmod 0755 "$policy" && made_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
    status=$?
    [ -z "$made_policy" ] || rm -f "$policy"
    if [ -d /run/systemd/system ]; then
        systemctl disable --now prometheus.service >/dev/null 2>&1 || true
    fi
    [ "$status" -eq 0 ] && command -v promtool >/dev/null
}
if ! command -v promtool >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then
        install_promtool || { echo "test.sh: installing Debian's prometheus package (for promtool) failed" >&2; exit 1; }
    else
        echo "test.sh: not root and no promtool; the rule and dashboard tests will be reported as skipped (apt-get install prometheus)" >&2
    fi
fi
if [ "$(id -u)" -eq 0 ]; then
    base_log=$(mktemp)
    bash scripts/install-containers.sh --base-only >"$base_log" 2>&1 &
    base_pid=$!
fi
bash scripts/install-s3rver.sh || echo "test.sh: s3rver could not be installed; the object storage tests will say why they cannot run" >&2
command -v python3 >/dev/null || { echo "test.sh: python3 is needed by the test apps (apt-get install python3)" >&2; exit 1; }

dotnet build Crik.slnx -c Debug -warnaserror -nologo -v quiet || exit 1

# The tests run what ships: both executables published NativeAOT, as the images hold them (clang and
# zlib1g-dev link them). The unit loop (dotnet test --filter Category=Unit) still runs the Debug build.
# As root they were installed above.
if ! command -v clang >/dev/null || [ ! -e /usr/include/zlib.h ]; then
    echo "test.sh: NativeAOT needs clang and zlib1g-dev (apt-get install clang zlib1g-dev)" >&2
    exit 1
fi
publish_dir=artifacts/aot
for project in src/Crik.Cli src/Crik.NodeStateServer; do
    dotnet publish "$project" -c Release -r linux-x64 -p:PublishAot=true -nologo -v quiet -o "$publish_dir/$(basename "$project")" \
        || { echo "test.sh: publishing $project NativeAOT failed" >&2; exit 1; }
done
"$publish_dir/Crik.Cli/crik" --version >/dev/null && "$publish_dir/Crik.Cli/crik" run -- sh -c 'exit 0' 2>/dev/null \
    || { echo "test.sh: the NativeAOT crik does not run" >&2; exit 1; }
export CRIK_BIN="$PWD/$publish_dir/Crik.Cli/crik"
export NODE_STATE_SERVER_BINARY="$PWD/$publish_dir/Crik.NodeStateServer/node-state-server"

# Every test project but the real-container one starts now, while the base image may still be in the
# making; that one starts once its images are built. Each writes its own log, printed when all are done.
logs=() pids=()
for project in tests/*/*.Tests.csproj; do
    [ "$project" != tests/Crik.Containers.Tests/Crik.Containers.Tests.csproj ] || continue
    logs+=("$(mktemp)")
    dotnet test "$project" -c Debug --no-build --nologo "$@" >"${logs[-1]}" 2>&1 &
    pids+=($!)
done
status=0
if [ -n "$base_pid" ]; then
    if ! wait "$base_pid"; then
        cat "$base_log" >&2
        echo "test.sh: making the real-container tests' base image failed" >&2
        status=1
    else
        cat "$base_log" >&2
        CRIK_REBUILD_BASE=0 CRIK_PUBLISHED="$CRIK_BIN" bash scripts/install-containers.sh \
            || { echo "test.sh: preparing the real-container tests (podman) failed" >&2; status=1; }
    fi
    rm -f "$base_log"
fi
if [ "$status" -eq 0 ]; then
    logs+=("$(mktemp)")
    dotnet test tests/Crik.Containers.Tests/Crik.Containers.Tests.csproj -c Debug --no-build --nologo "$@" >"${logs[-1]}" 2>&1 || status=1
fi
for pid in "${pids[@]}"; do
    wait "$pid" || status=1
done
# A project whose run ended without its summary (a dotnet test stopped by a signal may exit 0) counts as failed.
for project_log in "${logs[@]}"; do
    grep -q "Total: *[0-9]" "$project_log" || { echo "test.sh: a test project ended without its summary line" >&2; status=1; }
done
log=$(mktemp)
cat "${logs[@]}" | tee "$log"
rm -f "${logs[@]}"

read -r passed failed skipped < <(
    sed -n 's/.*Failed: *\([0-9]*\), Passed: *\([0-9]*\), Skipped: *\([0-9]*\).*/\2 \1 \3/p' "$log" |
        awk '{p += $1; f += $2; s += $3} END {print p + 0, f + 0, s + 0}')
rm -f "$log"
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
    exit 1
fi
