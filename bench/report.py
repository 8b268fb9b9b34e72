#!/usr/bin/env python3
"""Writes docs/benchmarks.md from one run's results (the JSON files the other scripts wrote)."""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess

MIB = 1 << 20


def load(results, name):
    path = os.path.join(results, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f) if name.endswith(".json") else f.read().strip()


def run(*args):
    try:
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return ""


def machine(results):
    with open("/proc/meminfo") as f:
        mem_kib = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
    with open("/proc/cpuinfo") as f:
        model = re.search(r"model name\s*:\s*(.*)", f.read())
    criu = re.search(r"Version: *(\S+)", run("criu", "--version"))
    runtime = re.search(r"Microsoft\.NETCore\.App (\S+)", run("dotnet", "--list-runtimes"))
    return (f"{os.cpu_count()} cores ({model.group(1).strip() if model else 'unknown CPU'}), "
            f"{mem_kib / (1 << 20):.1f} GiB memory, kernel {platform.release()}, "
            f"CRIU {criu.group(1) if criu else '?'}, .NET SDK {run('dotnet', '--version').strip()} "
            f"(runtime {runtime.group(1) if runtime else '?'}), images on {load(results, 'filesystem.txt') or '?'}, "
            f"run {load(results, 'date.txt') or datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")


def first_touch(data):
    """Which kind of machine a restore figure came from: what a first touch of a page cost during the part."""
    cost = data.get("first_touch_us")
    return (f"A first touch of an anonymous page cost {cost:.2f} µs on this machine during this part (bench/apps/first_touch.c)."
            if cost is not None else "The cost of a first touch was not measured in this run.")


def s(stat, scale=1.0, unit="s", digits=3):
    """median (min–max) of a summary, scaled."""
    if not stat:
        return "–"
    return (f"{stat['median'] * scale:.{digits}f} {unit} "
            f"({stat['min'] * scale:.{digits}f}–{stat['max'] * scale:.{digits}f})")


def ms(stat, digits=1):
    return s(stat, 1e3, "ms", digits)


def us_as_ms(stat, digits=2):
    return s(stat, 1e-3, "ms", digits)


def within(crik, raw, ratio):
    """A goal of the streaming issue: crik at most `ratio` times raw CRIU."""
    return crik <= ratio * raw


def yes(ok):
    return "met" if ok else "**not met**"


CHECKPOINT_GOAL, RESTORE_GOAL, FIXED_GOAL_S = 1.05, 1.10, 0.030


def stage_table(data, prefix, lines):
    """Median seconds of each stage crik reported, one column per size."""
    sizes = list(data["sizes"])
    names = []
    for mib in sizes:
        for key in data["sizes"][mib]["crik"]:
            if key.startswith(prefix) and key[len(prefix):] not in names:
                names.append(key[len(prefix):])
    if not names:
        return
    lines += ["| stage | " + " | ".join(f"{m} MiB" for m in sizes) + " |", "|---|" + "---|" * len(sizes)]
    for name in names:
        cells = []
        for mib in sizes:
            stat = data["sizes"][mib]["crik"].get(prefix + name)
            cells.append(f"{stat['median'] * 1e3:.0f} ms" if stat else "–")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("")


def part1(data, lines, goals, title="## 1. Checkpoint and restore: crik against raw CRIU", primary=True):
    lines += [title, ""]
    if not data:
        lines += ["Not run.", ""]
        return
    memory = ("random bytes (nothing repeats and nothing compresses, as in a real heap)" if data.get("app", "random") == "random"
              else "one 1 MiB pattern repeated (crik's chunk reuse stores it once; raw CRIU writes all of it)")
    lines += [
        f"An app (Python) fills N MiB of memory with {memory}, then prints a line every 100 ms; "
        f"{data['reps']} rounds per size, crik and raw CRIU alternating; median (min–max). crik is the NativeAOT build. "
        "**crik checkpoint**: from SIGTERM to crik's exit with a committed checkpoint (`criu dump --stream`, each "
        "image cut into chunks and SHA-256'd by crik as CRIU writes it and new chunks appended to the pack, "
        "then syncfs, manifest, atomic rename, kill). **raw dump**: `criu dump` with crik's "
        "options (`--leave-stopped --tcp-close --skip-in-flight --file-locks --link-remap --ghost-limit 1G "
        "--manage-cgroups=ignore`) via `nsenter` into an identical pod (crik as plain init, app at the same PID); "
        "**+ sync**: then `sync -f` (syncfs) on the image directory, for crash safety like crik's. "
        "Rate = image size / time. " + first_touch(data), "",
        "| app RSS | image | crik checkpoint | raw dump | raw dump + sync | crik / raw+sync | crik − raw+sync | crik rate | raw+sync rate | crik CPU per GiB | goal |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    met_all = True
    for mib, sides in data["sizes"].items():
        c, r = sides["crik"], sides["raw"]
        crik_t, raw_t, raw_sync = c["checkpoint_s"]["median"], r["dump_s"]["median"], r["dump_sync_s"]["median"]
        size = c["image_bytes"]["median"]
        ok = within(crik_t, raw_sync, CHECKPOINT_GOAL) or (int(mib) <= 64 and crik_t - raw_sync <= FIXED_GOAL_S)
        met_all &= ok
        cpu = c.get("checkpoint_cpu_s")
        lines.append(
            f"| {c['rss_kib']['median'] / 1024:.0f} MiB ({mib} MiB written) | {size / MIB:.0f} MiB | {s(c['checkpoint_s'])} | "
            f"{s(r['dump_s'])} | {s(r['dump_sync_s'])} | {crik_t / raw_sync:.2f}× ({crik_t / raw_t:.2f}× raw dump) | "
            f"{(crik_t - raw_sync) * 1e3:+.0f} ms | {size / MIB / crik_t:.0f} MiB/s | "
            f"{r['image_bytes']['median'] / MIB / raw_sync:.0f} MiB/s | "
            f"{(cpu['median'] / (size / (1 << 30))) if cpu else float('nan'):.2f} s | {yes(ok) if primary else '–'} |")
    if primary:
        goals.append((f"checkpoint at most {CHECKPOINT_GOAL:.2f}× raw CRIU dump + sync at every size (64 MiB: or within 30 ms)", met_all,
                      "; ".join(f"{m} MiB: {d['crik']['checkpoint_s']['median']:.3f} s vs {d['raw']['dump_sync_s']['median']:.3f} s"
                                for m, d in data["sizes"].items())))
    lines += ["", "Where crik's checkpoint time goes (crik's own line; median per stage; **dump** is CRIU's run, the app frozen, "
              "with crik taking its images; **seal and flush** is syncfs and the checksums of saved files; the pages image's stream "
              "says how long crik's reader waited for CRIU to write and for crik's own hashing and writing):", ""]
    stage_table(data, "stage ", lines)
    stage_table(data, "stream ", lines)
    lines += [
        "**Restore**, warm page cache (the images were just written): **crik** from starting `unshare … crik run` "
        "to the restored app's next line on the new pod's stdout (primary), and to crik's "
        "\"Restored checkpoint\" log line as the harness read it (crik hands CRIU each chunk through `--stream` after "
        "checking its SHA-256; no verification pass before; `lazyRestore: off`, so that crik too fills all memory "
        "before the app runs, as raw CRIU does: part 6 measures the lazy restore that is the default from 256 MiB); "
        "**raw**: `nsenter … criu restore --restore-detached` with crik's restore options and `--inherit-fd` for the "
        "stdout/stderr pipes, into a fresh pod whose PID 1 is `sleep`, to the app's next line, and to criu's exit.", "",
        "| app RSS | crik: start → app line | crik: start → log line | crik's own restore time | raw: start → app line | raw: criu exits | crik / raw (app line) | crik − raw | goal |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    met_all = True
    for mib, sides in data["sizes"].items():
        c, r = sides["crik"], sides["raw"]
        crik_t, raw_t = c["restore_first_line_s"]["median"], r["restore_first_line_s"]["median"]
        ok = within(crik_t, raw_t, RESTORE_GOAL) or (int(mib) <= 64 and crik_t - raw_t <= FIXED_GOAL_S)
        met_all &= ok
        lines.append(f"| {c['rss_kib']['median'] / 1024:.0f} MiB | {s(c['restore_first_line_s'])} | {s(c['restore_s'])} | "
                     f"{s(c['crik_reported_restore_s'])} | {s(r['restore_first_line_s'])} | {s(r['restore_s'])} | "
                     f"{crik_t / raw_t:.2f}× | {(crik_t - raw_t) * 1e3:+.0f} ms | {yes(ok) if primary else '–'} |")
    if primary:
        goals.append((f"restore at most {RESTORE_GOAL:.2f}× raw CRIU restore at every size (64 MiB: or within 30 ms)", met_all,
                      "; ".join(f"{m} MiB: {d['crik']['restore_first_line_s']['median']:.3f} s vs {d['raw']['restore_first_line_s']['median']:.3f} s"
                                for m, d in data["sizes"].items())))
    lines += ["", "Where crik's restore time goes (crik's own line, from its start of the restore; median per stage; **criu** is "
              "CRIU's run with crik streaming it the images):", ""]
    stage_table(data, "restore stage ", lines)
    stage_table(data, "restore stream ", lines)


def part4(data, lines, goals):
    lines += ["## 4. Time to safe: a checkpoint after a checkpoint writes only what changed", ""]
    if not data:
        lines += ["Not run.", ""]
        return
    modes = data.get("modes", {})
    m = (modes.get("on") or next(iter(modes.values())))["summary"] if modes else data["summary"]
    lines += [
        f"An app (Python) holds {data['mib']} MiB of random memory. `crik checkpoint` takes a first checkpoint "
        f"(everything is new; the app runs on); the app then rewrites {data['percent']:g} % of its memory (one "
        "stretch) and gets SIGTERM: crik's second checkpoint writes only the chunks the first does not hold. "
        f"{data['reps']} rounds; median (min–max). Images on this machine's local disk (page cache, then syncfs); "
        "no bandwidth-limited device was made here, so the time ratio is the one least favourable to reuse.", "",
        "| | first (full) checkpoint | after a 5 % rewrite | ratio |",
        "|---|---|---|---|",
        f"| image size | {m['image_bytes']['median'] / MIB:.0f} MiB | {m['image_bytes']['median'] / MIB:.0f} MiB | |",
        f"| bytes written | {m['full_written_bytes']['median'] / MIB:.1f} MiB | {m['changed_written_bytes']['median'] / MIB:.1f} MiB | "
        f"{m['changed_written_bytes']['median'] / m['full_written_bytes']['median']:.3f}× |",
        f"| request (or SIGTERM) to committed | {s(m['full_s'])} | {s(m['changed_s'])} | {m['changed_s']['median'] / m['full_s']['median']:.2f}× |",
        f"| app frozen (CRIU dump) | {s(m['full_freeze_s'])} | {s(m['changed_freeze_s'])} | |",
        f"| crik CPU for the checkpoint | {s(m['full_crik_cpu_s'])} | | |",
    ]
    if m.get("changed_app_wrote_bytes"):
        lines += [f"| the app wrote, as crik tracked it | | {m['changed_app_wrote_bytes']['median'] / MIB:.1f} MiB | |",
                  f"| tracked writes' stage (arming; reading) | {m['full_writes_stage_ms']['median']:.0f} ms | "
                  f"{m['changed_writes_stage_ms']['median']:.0f} ms | |"]
    if "off" in modes and "on" in modes:
        off = modes["off"]["summary"]
        lines += [f"| request (or SIGTERM) to committed, trackWrites off | {s(off['full_s'])} | {s(off['changed_s'])} | |"]
    lines += [""]
    written = m["changed_written_bytes"]["median"] / m["full_written_bytes"]["median"]
    timed = m["changed_s"]["median"] / m["full_s"]["median"]
    goals.append((f"a SIGTERM checkpoint after a {data['percent']:g} % rewrite writes at most 0.10× a full one", written <= 0.10,
                  f"{written:.3f}×"))
    goals.append(("... and reaches committed in at most 0.5× a full one's time (local disk)", timed <= 0.5, f"{timed:.2f}×"))


def part5(data, lines, goals):
    lines += ["## 5. Compressed and encrypted images", ""]
    if not data:
        lines += ["Not run.", ""]
        return
    m = data["summary"]
    lines += [
        f"An app (Python) with {data['mib']} MiB of memory, half text (compresses well) and half random (does not). "
        "**crik zstd+enc**: `compression: zstd` (level 3) and an `encryptionKeyFile` (AES-256-GCM per chunk); "
        "**crik**: neither; **raw**: `criu dump` + syncfs, `criu restore`; **raw + zstd**: the same with `zstd -3 -T0` run "
        "on every image after the dump and `zstd -d` before the restore (what a user would otherwise script). "
        f"{data['reps']} rounds, alternating; median (min–max). Checkpoint: SIGTERM (or the dump) to synced images; "
        "restore: start to the app's next line.", "",
        "| | stored | checkpoint | restore | checkpoint / raw | restore / raw |",
        "|---|---|---|---|---|---|",
    ]
    raw_c, raw_r = m["raw"]["dump_sync_s"]["median"], m["raw"]["restore_first_line_s"]["median"]
    rows = [("crik zstd+enc", m["crik"], "checkpoint_s"), ("crik", m["crik_plain"], "checkpoint_s"),
            ("raw", m["raw"], "dump_sync_s"), ("raw + zstd", m["raw_zstd"], "dump_sync_s")]
    for label, side, key in rows:
        lines.append(f"| {label} | {side['stored_bytes']['median'] / MIB:.0f} MiB | {s(side[key])} | {s(side['restore_first_line_s'])} | "
                     f"{side[key]['median'] / raw_c:.2f}× | {side['restore_first_line_s']['median'] / raw_r:.2f}× |")
    lines.append("")


def part6(data, lines, goals):
    lines += ["## 6. Lazy restore: the app answers before its memory has arrived", ""]
    if not data:
        lines += ["Not run.", ""]
        return
    lines += [
        "An HTTP app (Python) fills N MiB of memory with random bytes; each request hashes a 4 MiB slice of it that moves "
        "with every request. It is checkpointed once; then each round drops the page cache (as on a new node), starts "
        "crik, and asks for `/` every 5 ms until it answers. **lazy** is `lazyRestore: on`, **eager** `off`, alternating, "
        f"{data['reps']} rounds each; median (min–max). **first answer**: from starting crik to the first HTTP reply; "
        "**all in**: to crik's \"the app's memory is all in\" (eager: to its \"Restored\" line); **during** and **after**: "
        "request latency while pages still arrive and after (p50 / p99). " + first_touch(data), "",
        "| store | app | lazy: first answer | eager: first answer | lazy: all in | eager: all in | all in lazy / eager | during p50 / p99 | after p50 / p99 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for entry in data["sizes"]:
        lazy, eager = entry["lazy"], entry["eager"]
        during = lazy["during_ms"]
        during_text = f"{during['median']:.1f} / {during['p99']:.1f} ms" if during else "none (all in first)"
        after = lazy["after_ms"]
        lines.append(f"| {entry['store']} | {entry['mib']} MiB | {s(lazy['first_answer_s'])} | {s(eager['first_answer_s'])} | "
                     f"{s(lazy['all_in_s'])} | {s(eager['all_in_s'])} | {lazy['all_in_s']['median'] / eager['all_in_s']['median']:.2f}× | "
                     f"{during_text} | {after['median']:.1f} / {after['p99']:.1f} ms |")
        goal = 0.3 if entry["store"] == "volume" else 1.0
        goals.append((f"lazy restore from {entry['store']}, {entry['mib']} MiB: first answer within {goal} s", lazy["first_answer_s"]["median"] <= goal,
                      f"{lazy['first_answer_s']['median']:.3f} s (eager {eager['first_answer_s']['median']:.3f} s)"))
        goals.append((f"lazy restore from {entry['store']}, {entry['mib']} MiB: all in within 1.0× the eager restore",
                      lazy["all_in_s"]["median"] <= eager["all_in_s"]["median"],
                      f"{lazy['all_in_s']['median'] / eager['all_in_s']['median']:.2f}×"))
        if during:
            goals.append((f"lazy restore from {entry['store']}, {entry['mib']} MiB: answers while the memory arrives within 20 ms (p99)",
                          during["p99"] <= 20, f"{during['p99']:.1f} ms"))
    lines.append("")
    read_first = [e for e in data["sizes"] if "read first" in e or "written read first" in e]
    if read_first:
        lines += ["**Filled first.** The app is restored eagerly, answers one request and is checkpointed again; that "
                  "checkpoint has no list of what the app touched first, and its lazy restores fill first what the app "
                  "wrote since the previous checkpoint (**written**). Then it is restored lazily from there, answers one "
                  "request and is checkpointed again; that checkpoint keeps the pages the app touched first, and its lazy "
                  "restores fill them before the rest (**touched**). The next request touches another 4 MiB slice, "
                  "so what is filled first covers the interpreter and the server's own pages, not the new slice.", "",
                  "| store | app | filled first | first answer | lazy first answer (above) | all in | how much | times the app waited for a page |",
                  "|---|---|---|---|---|---|---|---|"]
        for entry in read_first:
            for mode, label in (("written read first", "written"), ("read first", "touched")):
                if mode not in entry:
                    continue
                first = entry[mode]
                lines.append(f"| {entry['store']} | {entry['mib']} MiB | {label} | {s(first['first_answer_s'])} | {entry['lazy']['first_answer_s']['median']:.3f} s | "
                             f"{s(first['all_in_s'])} | {first.get('read_first') or '–'} | {first.get('first_used') or '–'} |")
        lines.append("")
    idle = [e for e in data["sizes"] if "lazy, no requests" in e]
    if idle:
        lines += ["**Where loading's time goes.** crik's \"all in\" line adds up its threads' time reading chunks "
                  "(from the packs, checked, maybe decrypted and decompressed; several threads at once, so the sum can "
                  "exceed the wall time) and copying them into the app (`UFFDIO_COPY`). Above, the app is asked for `/` every "
                  "5 ms while its memory arrives; **no requests** is one more lazy round in which nobody asks the app "
                  "anything until its memory is all in.", "",
                  "| store | app | all in, requests every 5 ms | reading / copying | all in, no requests | reading / copying |",
                  "|---|---|---|---|---|---|"]

        def split(mode):
            serving = mode.get("serving_s") or {}
            if not serving:
                return "–"
            return " / ".join(f"{serving[k]['median']:.2f} s" for k in ("reading_s", "copying_s") if k in serving)

        for entry in idle:
            lazy, quiet = entry["lazy"], entry["lazy, no requests"]
            lines.append(f"| {entry['store']} | {entry['mib']} MiB | {lazy['all_in_s']['median']:.2f} s | {split(lazy)} | "
                         f"{quiet['all_in_s']['median']:.2f} s | {split(quiet)} |")
        lines.append("")
    for left_out in data.get("left_out", []):
        lines += [f"Left out: {left_out}.", ""]
    staged = [e for e in data["sizes"] if e["lazy"].get("stages_ms")]
    if staged:
        lines += ["Where a lazy restore's time goes before the app runs (crik's own \"Restored\" line; median per stage):", "",
                  "| store | app | stages |", "|---|---|---|"]
        for entry in staged:
            stages = ", ".join(f"{name} {stat['median']:.0f} ms" for name, stat in entry["lazy"]["stages_ms"].items())
            lines.append(f"| {entry['store']} | {entry['mib']} MiB | {stages} |")
        lines.append("")


def part6_prefork(data, lines, goals):
    if not data:
        return
    lines += [f"### A pre-fork app: gunicorn --preload with {data['workers']} workers over a {data['mib']} MiB model", "",
              "The workers share the model copy-on-write. Checkpointed once, then restored lazily and eagerly in turn from a "
              "volume with a cold page cache; the whole tree's proportional set size (PSS) once every page is in, against "
              f"{data['before_pss_mib']:.0f} MiB before the checkpoint (bench/prefork.py, {data['reps']} rounds each).", "",
              "| restore | first answer | all in | tree PSS | PSS / before |", "|---|---|---|---|---|"]
    for mode in ("lazy", "eager"):
        run = data[mode]
        lines.append(f"| {mode} | {s(run['first_answer_s'])} | {s(run['all_in_s'])} | {run['pss_mib']['median']:.0f} MiB | "
                     f"{run['pss_mib']['median'] / data['before_pss_mib']:.2f}× |")
    lines.append("")
    goals.append(("pre-fork app: tree PSS after a lazy restore within 1.2× before the checkpoint",
                  data["lazy"]["pss_mib"]["median"] <= 1.2 * data["before_pss_mib"],
                  f"{data['lazy']['pss_mib']['median'] / data['before_pss_mib']:.2f}×"))
    goals.append(("pre-fork app: tree PSS after a lazy restore within 1.1× the eager restore's",
                  data["lazy"]["pss_mib"]["median"] <= 1.1 * data["eager"]["pss_mib"]["median"],
                  f"{data['lazy']['pss_mib']['median'] / data['eager']['pss_mib']['median']:.2f}×"))


def part8(data, lines, goals):
    lines += ["## 8. Preemption downtime: the last answer in the old pod to the first in the new", ""]
    if not data:
        lines += ["Not run.", ""]
        return
    lines += [
        f"An HTTP app (Python) of random memory, asked every 5 ms, is checkpointed on demand (as a periodic checkpoint "
        f"would), rewrites {data['percent']:g} % of its pages at random places, and gets SIGTERM; a new pod on the same "
        "machine restores it. Downtime leaves out the time between the old pod's exit and the new pod's start (what a "
        f"cluster's scheduling adds). {data['reps']} rounds; median (min–max). A first touch of a page costs "
        f"{data.get('first_touch_us', float('nan')):.1f} µs here.", "",
        "| app | downtime | old pod: last answer to exit | new pod: start to first answer | SIGTERM checkpoint | full checkpoint before it | the app wrote (tracked) |",
        "|---|---|---|---|---|---|---|",
    ]
    for mib, entry in data["sizes"].items():
        m = entry["summary"]
        wrote = entry["rounds"][0].get("app_wrote") or "not tracked"
        lines.append(f"| {mib} MiB | {s(m['downtime_s'])} | {s(m['old_pod_s'])} | {s(m['new_pod_s'])} | {s(m['sigterm_checkpoint_s'])} | "
                     f"{s(m['full_checkpoint_s'])} | {wrote} |")
        if mib == "2048":
            goals.append((f"downtime of a 2 GiB app after a {data['percent']:g} % rewrite at most 1.0 s", m["downtime_s"]["median"] <= 1.0,
                          f"{m['downtime_s']['median']:.2f} s"))
            ratio = m["sigterm_checkpoint_s"]["median"] / m["full_checkpoint_s"]["median"]
            goals.append(("... and its SIGTERM checkpoint at most 0.3× the full one", ratio <= 0.3, f"{ratio:.2f}×"))
    lines.append("")


def part2(data, sizes, lines, goals):
    lines += ["## 2. crik as an init: against tini, dumb-init and the .NET floor", ""]
    if not data:
        lines += ["Not run.", ""]
        return
    lines += ["Start-up: `hyperfine -N --warmup 5` of `INIT /bin/true` (not in a namespace; no configuration, so crik "
              "is a plain init), and of a NativeAOT hello world on its own (the least any .NET program takes to start here); "
              "median (min–max) and standard deviation.", "",
              "| command | start-up | σ |", "|---|---|---|"]
    for name, entry in data["startup"].items():
        shown = " ".join([os.path.basename(entry["command"].split()[0])] + entry["command"].split()[1:])
        lines.append(f"| `{shown}` ({name}) "
                     f"| {ms(entry['seconds'])} | {entry['seconds']['stdev'] * 1e3:.1f} ms |")
    if sizes:
        lines += ["", "On-disk size: " + "; ".join(f"{label} {size / MIB:.1f} MiB" for label, size in sizes) + "."]
    crik_start = next((e["seconds"]["median"] for n, e in data["startup"].items() if n.startswith("crik")), None)
    if crik_start is not None:
        goals.append(("crik (NativeAOT) starts `run -- /bin/true` in at most 15 ms", crik_start <= 0.015, f"{crik_start * 1e3:.1f} ms"))
    crik_rss = next((v["median"] for n, v in data["idle_rss_kib"].items() if n.startswith("crik")), None)
    if crik_rss is not None:
        goals.append(("crik (NativeAOT) idle VmRSS as PID 1 at most 8 MiB", crik_rss / 1024 <= 8, f"{crik_rss / 1024:.1f} MiB"))
    lines += ["", "Idle resident memory: VmRSS of the init as PID 1 of a fresh pod supervising `sleep 1000`, "
              "read 2 s after start; median (min–max) of the rounds.", "",
              "| init | VmRSS |", "|---|---|"]
    for name, stat in data["idle_rss_kib"].items():
        lines.append(f"| {name} | {s(stat, 1 / 1024, 'MiB', 1)} |")
    lines += ["", f"Signal forwarding: SIGUSR1 sent from outside to the init (PID 1 of the pod), until the app's "
              f"line about it is read from the pod's stdout pipe; {data['signal_count']} signals each, 5 ms apart. "
              "The last row sends the signal straight to the app (what the pipe and Python cost on their own).", "",
              "| init | median | p99 | min–max |", "|---|---|---|---|"]
    for name, stat in data["signal_s"].items():
        lines.append(f"| {name} | {stat['median'] * 1e3:.3f} ms | {stat['p99'] * 1e3:.3f} ms | "
                     f"{stat['min'] * 1e3:.3f}–{stat['max'] * 1e3:.3f} ms |")
    lines.append("")


def part3(data, status, lines, goals):
    lines += ["## 3. The node-state server under load", ""]
    if not data:
        lines += [f"**Not run**: {status or 'no results'}. The harness for it is in place (`bench/nodestate.py`, "
                  "`bench/fake_kube_api.py`, `bench/wrk_nodes.lua`) and runs as soon as "
                  "`src/Crik.NodeStateServer` is more than a placeholder.", ""]
        goals += [("node-state server ≥ 20,000 req/s with p99 < 5 ms", None, ""),
                  ("node-state server < 50 MiB with 5,000 nodes", None, ""),
                  ("Node change visible < 100 ms", None, "")]
        return
    lines += [
        f"A fake Kubernetes API (Python, {data['api_scheme'].upper()}) serves {data['nodes']:,} Nodes, paginated "
        "lists and a chunked watch. The server (NativeAOT build) became ready "
        f"{data['ready_s']:.2f} s after it started. `wrk -t{data['threads']} -c{data['connections']} -d{data['seconds']}s` "
        "with a Lua script spreading `GET /v1/nodes/{name}` over every node; wrk, the server and the idle fake API "
        f"share the 2 cores. {len(data['wrk_runs'])} runs after a 2 s warm-up; median (min–max).", "",
        "| measure | value |", "|---|---|",
        f"| requests per second | {s(data['rps'], 1, 'req/s', 0)} |",
        f"| latency p50 | {us_as_ms(data['p50_us'])} |",
        f"| latency p90 | {us_as_ms(data['p90_us'])} |",
        f"| latency p99 | {us_as_ms(data['p99_us'])} |",
        f"| latency p99.9 | {us_as_ms(data['p999_us'])} |",
        f"| errors (non-2xx and socket) | {data['errors']} |",
        f"| VmRSS after sync, idle | {data['rss_idle_kib'] / 1024:.1f} MiB |",
        f"| VmRSS after each load run | {s(data['rss_kib'], 1 / 1024, 'MiB', 1)} |",
        f"| VmHWM (peak) | {data['rss_peak_kib'] / 1024:.1f} MiB |",
        f"| Node tainted `karpenter.sh/disrupted` → served as shutting-down | {ms(data['visible_s']['disrupt'], 1)}, p99 {data['visible_s']['disrupt']['p99'] * 1e3:.1f} ms ({data['visible_s']['disrupt']['n']} changes) |",
        f"| taint removed → served as ready | {ms(data['visible_s']['undisrupt'], 1)} |",
        "",
    ]
    rss_steady = data["rss_kib"]["max"] / 1024
    goals += [("node-state server ≥ 20,000 req/s with p99 < 5 ms",
               data["rps"]["median"] >= 20000 and data["p99_us"]["median"] < 5000,
               f"{data['rps']['median']:.0f} req/s (met); p99 {data['p99_us']['median'] / 1e3:.2f} ms "
               f"({'met' if data['p99_us']['median'] < 5000 else 'not met'})"),
              ("node-state server < 50 MiB with 5,000 nodes (checked on the peak, VmHWM)", data["rss_peak_kib"] / 1024 < 50,
               f"after each load run at most {rss_steady:.1f} MiB ({'under' if rss_steady < 50 else 'over'} 50); "
               f"peak {data['rss_peak_kib'] / 1024:.1f} MiB"),
              ("Node change visible < 100 ms (checked on p99)", data["visible_s"]["disrupt"]["p99"] < 0.100,
               f"median {data['visible_s']['disrupt']['median'] * 1e3:.1f} ms, p99 {data['visible_s']['disrupt']['p99'] * 1e3:.1f} ms")]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--command", required=True)
    parser.add_argument("--notes", help="a markdown file with the discussion, appended after the tables")
    args = parser.parse_args()
    lines = ["# Benchmarks", "",
             f"Produced by `{args.command}` (the tables below are that single run's; nothing is edited by hand "
             "except the discussion at the end).", "",
             f"**Machine**: {machine(args.results)}.", ""]
    goals = []
    sizes = []
    tsv = load(args.results, "sizes.tsv")
    if tsv:
        labels = {"crik-aot/crik": "crik NativeAOT", "hello-aot/hello": "the NativeAOT hello world"}
        for row in tsv.splitlines():
            path, size = row.split("\t")
            label = next((v for k, v in labels.items() if path.endswith(k)), path)
            sizes.append((label, int(size)))
    part1(load(args.results, "checkpoint.json"), lines, goals)
    part1(load(args.results, "checkpoint-pattern.json"), lines, goals,
          title="### 1b. The same with memory that repeats (chunk reuse at work, not the cost of streaming)", primary=False)
    part2(load(args.results, "init.json"), sizes, lines, goals)
    part3(load(args.results, "nodestate.json"), load(args.results, "nodestate.status"), lines, goals)
    part4(load(args.results, "reuse.json"), lines, goals)
    part5(load(args.results, "secure.json"), lines, goals)
    part6(load(args.results, "lazy.json"), lines, goals)
    part6_prefork(load(args.results, "prefork.json"), lines, goals)
    part8(load(args.results, "downtime.json"), lines, goals)
    lines += ["## Goals", "", "Recorded, not asserted.", "", "| goal | result | measured (median) |", "|---|---|---|"]
    for goal, ok, detail in goals:
        lines.append(f"| {goal} | {'not measured' if ok is None else yes(ok)} | {detail} |")
    lines.append("")
    notes = args.notes or os.path.join(os.path.dirname(os.path.abspath(__file__)), "discussion.md")
    if os.path.exists(notes):
        with open(notes) as f:
            lines += [f.read().rstrip(), ""]
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
