#!/usr/bin/env bash
# The benchmark harness: `sudo bash scripts/bench.sh` installs what it needs, builds crik (and the
# node-state server when it exists), measures, and writes docs/benchmarks.md from this run alone.
#
#   1. checkpoint and restore: crik against raw CRIU for apps of 64 MiB, 512 MiB and 2 GiB
#   2. crik as an init against tini and dumb-init: start-up, idle memory, signal forwarding
#   3. the node-state server under wrk with 5,000 nodes from a fake Kubernetes API
#   4. time to safe: a checkpoint after a 5 % rewrite of 2 GiB against the full one before it
#   5. compressed and encrypted images against raw CRIU and raw CRIU + zstd, 512 MiB half text
#
# Knobs for development (the defaults are the published run): BENCH_REPS (5), BENCH_SIZES
# (64,512,2048), BENCH_HYPERFINE_RUNS (40), BENCH_SIGNALS (300), BENCH_WRK_SECONDS (10),
# BENCH_REUSE_MIB (2048), BENCH_PARTS (checkpoint,init,nodestate,reuse,secure), BENCH_OUT (docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

REPS=${BENCH_REPS:-5}
SIZES=${BENCH_SIZES:-64,512,2048}
HYPERFINE_RUNS=${BENCH_HYPERFINE_RUNS:-40}
SIGNALS=${BENCH_SIGNALS:-300}
WRK_SECONDS=${BENCH_WRK_SECONDS:-10}
PARTS=${BENCH_PARTS:-checkpoint,init,nodestate,reuse,secure}
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
log "building crik (framework-dependent)"
dotnet build src/Crik.Cli -c Release -nologo -v quiet >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
crik_fd=$repo/artifacts/bin/Crik.Cli/release/crik
builds=(--crik "framework-dependent=$crik_fd")

log "publishing crik self-contained ReadyToRun"
if dotnet publish src/Crik.Cli -c Release -r linux-x64 --self-contained -p:PublishReadyToRun=true \
        -o "$work/crik-r2r" -nologo -v quiet >"$work/publish-r2r.log" 2>&1; then
    builds+=(--crik "self-contained R2R=$work/crik-r2r/crik")
    echo ok >"$work/results/r2r.status"
else
    log "R2R publish failed: $(grep -m1 -i error "$work/publish-r2r.log" || true)"
    grep -m1 -i error "$work/publish-r2r.log" >"$work/results/r2r.status" || echo failed >"$work/results/r2r.status"
fi

# Trimming: Serilog and YamlDotNet raise trim warnings, which the repository treats as errors; the
# trimmed build is only usable with those warnings allowed, so that is what is measured.
log "publishing crik self-contained ReadyToRun and trimmed"
if dotnet publish src/Crik.Cli -c Release -r linux-x64 --self-contained -p:PublishReadyToRun=true \
        -p:PublishTrimmed=true -p:TreatWarningsAsErrors=false -p:SuppressTrimAnalysisWarnings=true \
        -o "$work/crik-trimmed" -nologo -v quiet >"$work/publish-trimmed.log" 2>&1 \
        && "$work/crik-trimmed/crik" run -- /bin/true 2>/dev/null; then
    builds+=(--crik "self-contained R2R trimmed=$work/crik-trimmed/crik")
    echo ok >"$work/results/trimmed.status"
else
    log "trimmed publish failed or does not run"
    { grep -m1 -i error "$work/publish-trimmed.log" || echo "does not run"; } >"$work/results/trimmed.status"
fi
for dir in "$repo/artifacts/bin/Crik.Cli/release" "$work/crik-r2r" "$work/crik-trimmed"; do
    [ -d "$dir" ] && du -sb "$dir" | awk -v d="$dir" '{print d "\t" $1}'
done >"$work/results/sizes.tsv"

server=""
if grep -q "Filled in by the node-state server issue" src/Crik.NodeStateServer/Program.cs 2>/dev/null; then
    log "the node-state server is not merged yet (src/Crik.NodeStateServer is a placeholder): part 3 is skipped"
    echo "not merged" >"$work/results/nodestate.status"
else
    log "building the node-state server"
    if dotnet build src/Crik.NodeStateServer -c Release -nologo -v quiet >"$work/build-server.log" 2>&1; then
        server=$repo/artifacts/bin/Crik.NodeStateServer/release/node-state-server
    else
        log "the node-state server does not build: part 3 is skipped"
        echo "does not build" >"$work/results/nodestate.status"
    fi
fi

# --- measurements ------------------------------------------------------------------------------
cd "$repo/bench"
if wants checkpoint; then
    log "part 1: checkpoint and restore, crik vs raw CRIU (sizes $SIZES MiB, $REPS rounds each)"
    "$PY" checkpoint.py --crik "$crik_fd" --python "$PY" --sizes "$SIZES" --reps "$REPS" \
        --work "$work/checkpoint" --out "$work/results/checkpoint.json"
fi
if wants init; then
    log "part 2: crik vs tini vs dumb-init"
    "$PY" init.py "${builds[@]}" --python "$PY" --runs "$HYPERFINE_RUNS" --reps "$REPS" --signals "$SIGNALS" \
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
    "$PY" reuse.py --crik "$crik_fd" --python "$PY" --mib "$REUSE_MIB" --reps "$REPS" \
        --work "$work/reuse" --out "$work/results/reuse.json"
fi
if wants secure; then
    log "part 5: compressed and encrypted images, 512 MiB half text"
    "$PY" secure.py --crik "$crik_fd" --python "$PY" --mib 512 --reps "$REPS" \
        --work "$work/secure" --out "$work/results/secure.json"
fi
cd "$repo"

# Kept (artifacts/ is git-ignored) so the report can be rendered again with a new discussion:
#   python3 bench/report.py --results artifacts/bench-results --out docs/benchmarks.md --command "sudo bash scripts/bench.sh"
rm -rf artifacts/bench-results && mkdir -p artifacts && cp -r "$work/results" artifacts/bench-results
log "writing $OUT"
"$PY" bench/report.py --results "$work/results" --out "$OUT" --command "sudo bash scripts/bench.sh"
log "done: $OUT"
