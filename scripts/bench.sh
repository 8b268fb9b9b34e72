#!/usr/bin/env bash
# The benchmark harness: `sudo bash scripts/bench.sh` installs what it needs, builds crik (and the
# node-state server when it exists), measures, and rewrites the rows of docs/benchmarks.md's table that this run measured.
#
#   1. checkpoint and restore: crik against raw CRIU for apps of 64 MiB, 512 MiB and 2 GiB of random
#      memory, per stage; then (1b) the same with memory that repeats, which chunk reuse stores once
#   2. crik as an init against tini, dumb-init and a NativeAOT hello world: start-up, idle memory,
#      signal forwarding
#   3. the node-state server under wrk with 5,000 nodes from a fake Kubernetes API
#   4. time to safe: a checkpoint after a 5 % rewrite of 2 GiB against the full one before it
#   5. compressed and encrypted images against raw CRIU and raw CRIU + zstd, 512 MiB half text
#   6. lazy restore against eager, from a volume and from object storage; a pre-fork app
#   8. preemption downtime: the last answer in the old pod to the first in the new, after a 5 % rewrite
#
# crik and the node-state server are measured as they ship: published NativeAOT.
#
# Knobs for development (the defaults are the published run): BENCH_REPS (5), BENCH_PATTERN_REPS (3), BENCH_SIZES
# (64,512,2048), BENCH_HYPERFINE_RUNS (40), BENCH_SIGNALS (300), BENCH_WRK_SECONDS (10),
# BENCH_REUSE_MIB (2048), BENCH_PREFORK_MIB (512), BENCH_PARTS (checkpoint,init,nodestate,reuse,secure,lazy,downtime), BENCH_DOWNTIME_SIZES (512,2048,6144), BENCH_LAZY_SIZES (64,512,2048,6144),
# BENCH_LAZY_REPS (3), BENCH_OUT (docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

REPS=${BENCH_REPS:-5}
PATTERN_REPS=${BENCH_PATTERN_REPS:-3}
SIZES=${BENCH_SIZES:-64,512,2048}
HYPERFINE_RUNS=${BENCH_HYPERFINE_RUNS:-40}
SIGNALS=${BENCH_SIGNALS:-300}
WRK_SECONDS=${BENCH_WRK_SECONDS:-10}
PARTS=${BENCH_PARTS:-checkpoint,init,nodestate,reuse,secure,lazy,downtime}
REUSE_MIB=${BENCH_REUSE_MIB:-2048}
OUT=${BENCH_OUT:-docs/benchmarks.md}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

log() { printf 'bench: %s\n' "$*" >&2; }
wants() { [[ ",$PARTS," == *",$1,"* ]]; }

if [ "$(id -u)" -ne 0 ]; then
    log "run as root (sudo bash scripts/bench.sh): the pods need namespaces and CRIU needs CAP_SYS_ADMIN"
    exit 1
fi

# --- what the harness needs ----------------------------------------------------------------------
missing=()
for tool in hyperfine wrk tini dumb-init zstd; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get install -y "${missing[@]}" >/dev/null || { apt-get update >/dev/null && apt-get install -y "${missing[@]}" >/dev/null; }
fi
bash scripts/install-criu.sh
if ! command -v clang >/dev/null || [ ! -e /usr/include/zlib.h ]; then
    log "installing clang and zlib1g-dev (NativeAOT links with them)"
    apt-get update -qq && apt-get install -y -qq clang zlib1g-dev >/dev/null
fi

# Images on the real disk (/var/tmp), not tmpfs, so that write rates and fsync mean something.
work=$(mktemp -d /var/tmp/crik-bench.XXXXXX)
cleanup() {
    local code=$?
    # The Python helpers kill their own pods; this catches anything left if they were killed.
    for job in $(jobs -p); do kill "$job" 2>/dev/null || true; done
    rm -rf "$work"
    exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$work/results"
date -u '+%Y-%m-%d %H:%M UTC' >"$work/results/date.txt"
df -T "$work" | awk 'NR==2 {print $2 " on " $1}' >"$work/results/filesystem.txt"
log "work directory $work"

# --- builds ------------------------------------------------------------------------------------
# What users run: both executables published NativeAOT, as Dockerfile.crik ships them.
log "publishing crik NativeAOT"
dotnet publish src/Crik.Cli -c Release -r linux-x64 -p:PublishAot=true -o "$work/crik-aot" -nologo -v quiet \
    >"$work/publish-crik.log" 2>&1 || { cat "$work/publish-crik.log"; exit 1; }
crik=$work/crik-aot/crik
builds=(--crik "NativeAOT=$crik")

# The floor .NET sets on this machine: a NativeAOT program that prints one line, published the same way.
log "publishing a NativeAOT hello world"
mkdir -p "$work/hello"
cat >"$work/hello/hello.csproj" <<'EOF'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <InvariantGlobalization>true</InvariantGlobalization>
    <EventSourceSupport>false</EventSourceSupport>
  </PropertyGroup>
</Project>
EOF
echo 'System.Console.WriteLine("hello");' >"$work/hello/Program.cs"
floor=()
if dotnet publish "$work/hello/hello.csproj" -c Release -r linux-x64 -p:PublishAot=true -o "$work/hello-aot" -nologo -v quiet \
        >"$work/publish-hello.log" 2>&1; then
    floor=(--floor "NativeAOT hello world=$work/hello-aot/hello")
else
    log "the hello world does not publish: $(grep -m1 -i error "$work/publish-hello.log" || true)"
fi
for file in "$crik" "$work/hello-aot/hello"; do
    [ -f "$file" ] && stat -c '%n	%s' "$file"
done >"$work/results/sizes.tsv"

log "publishing the node-state server NativeAOT"
server=""
if dotnet publish src/Crik.NodeStateServer -c Release -r linux-x64 -p:PublishAot=true -o "$work/server-aot" -nologo -v quiet \
        >"$work/publish-server.log" 2>&1; then
    server=$work/server-aot/node-state-server
else
    log "the node-state server does not publish: part 3 is skipped"
    echo "does not publish" >"$work/results/nodestate.status"
fi

# --- measurements ------------------------------------------------------------------------------
cd "$repo/bench"
if wants checkpoint; then
    log "part 1: checkpoint and restore, crik vs raw CRIU (sizes $SIZES MiB, $REPS rounds each)"
    "$PY" checkpoint.py --crik "$crik" --python "$PY" --sizes "$SIZES" --reps "$REPS" --app random \
        --work "$work/checkpoint" --out "$work/results/checkpoint.json"
    log "part 1b: the same with memory that repeats one 1 MiB pattern (sizes $SIZES MiB, $PATTERN_REPS rounds each)"
    "$PY" checkpoint.py --crik "$crik" --python "$PY" --sizes "$SIZES" --reps "$PATTERN_REPS" --app pattern \
        --work "$work/checkpoint" --out "$work/results/checkpoint-pattern.json"
fi
if wants init; then
    log "part 2: crik vs tini vs dumb-init"
    "$PY" init.py "${builds[@]}" "${floor[@]}" --python "$PY" --runs "$HYPERFINE_RUNS" --reps "$REPS" --signals "$SIGNALS" \
        --work "$work/init" --out "$work/results/init.json"
fi
if wants nodestate && [ -n "$server" ]; then
    log "part 3: the node-state server under load"
    "$PY" nodestate.py --server "$server" --python "$PY" --reps "$REPS" --seconds "$WRK_SECONDS" \
        --work "$work/nodestate" --out "$work/results/nodestate.json" \
        || { log "part 3 failed"; echo "failed: see the harness output" >"$work/results/nodestate.status"; }
fi
if wants reuse; then
    log "part 4: a checkpoint after a 5 % rewrite of $REUSE_MIB MiB against the full one"
    "$PY" reuse.py --crik "$crik" --python "$PY" --mib "$REUSE_MIB" --reps "$REPS" \
        --work "$work/reuse" --out "$work/results/reuse.json"
fi
if wants secure; then
    log "part 5: compressed and encrypted images, 512 MiB half text"
    "$PY" secure.py --crik "$crik" --python "$PY" --mib 512 --reps "$REPS" \
        --work "$work/secure" --out "$work/results/secure.json"
fi
if wants lazy; then
    log "part 6: lazy restore against eager, from a volume and from object storage (sizes ${BENCH_LAZY_SIZES:-64,512,2048,6144} MiB)"
    "$PY" lazy.py --crik "$crik" --python "$PY" --sizes "${BENCH_LAZY_SIZES:-64,512,2048,6144}" --reps "${BENCH_LAZY_REPS:-3}" \
        --work "$work/lazy" --out "$work/results/lazy.json" \
        || { log "part 6 failed"; }
    log "part 6: a pre-fork app (gunicorn --preload, four workers, ${BENCH_PREFORK_MIB:-512} MiB model), lazy against eager"
    "$PY" prefork.py --crik "$crik" --mib "${BENCH_PREFORK_MIB:-512}" --reps "${BENCH_LAZY_REPS:-3}" \
        --work "$work/prefork" --out "$work/results/prefork.json" \
        || { log "part 6 (pre-fork app) failed"; }
fi
if wants downtime; then
    log "part 8: preemption downtime after a 5 % rewrite (sizes ${BENCH_DOWNTIME_SIZES:-512,2048,6144} MiB)"
    "$PY" downtime.py --crik "$crik" --python "$PY" --sizes "${BENCH_DOWNTIME_SIZES:-512,2048,6144}" --reps "$REPS" \
        --work "$work/downtime" --out "$work/results/downtime.json" \
        || { log "part 8 failed"; }
fi
cd "$repo"

# Kept (artifacts/ is git-ignored) so the table's rows can be written again from this run:
#   python3 bench/report.py --results artifacts/bench-results --out docs/benchmarks.md --command "sudo bash scripts/bench.sh"
rm -rf artifacts/bench-results && mkdir -p artifacts && cp -r "$work/results" artifacts/bench-results
log "writing $OUT"
"$PY" bench/report.py --results "$work/results" --out "$OUT" --command "sudo bash scripts/bench.sh"
log "done: $OUT"
