#!/usr/bin/env python3
"""From one run's results (the JSON files the other scripts wrote): the rows of docs/benchmarks.md's table of what
holds now that the run measured, with its date, build and first-touch cost; and every table of the run in a file of
its own (--details)."""
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
    """A goal against raw CRIU: crik at most `ratio` times raw CRIU's time."""
    return crik <= ratio * raw


def restore_goal(data):
    """Part 1's eager restore against raw CRIU: at most 1.0× with a warm page cache, 0.7× with a cold one (issue 48)."""
    return COLD_RESTORE_GOAL if data.get("cold") else RESTORE_GOAL


def yes(ok):
    return "met" if ok else "**not met**"


# The goals the issues set (docs/benchmarks.md, "What holds now"): against raw CRIU (issue 48), a cold eager restore
# (48), the lazy restore (38), the pre-fork app (45), preemption downtime at 2 GiB and its SIGTERM checkpoint (62, 75).
CHECKPOINT_GOAL, RESTORE_GOAL, COLD_RESTORE_GOAL = 1.10, 1.00, 0.70
FIRST_ANSWER_GOAL_S = {"volume": 0.3, "s3": 1.0}
DURING_P99_GOAL_MS = 20
DOWNTIME_GOALS_S = ((0.5, 75), (1.0, 62))
SIGTERM_CHECKPOINT_GOAL = 0.3


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
        ok = within(crik_t, raw_sync, CHECKPOINT_GOAL)
        met_all &= ok
        cpu = c.get("checkpoint_cpu_s")
        lines.append(
            f"| {c['rss_kib']['median'] / 1024:.0f} MiB ({mib} MiB written) | {size / MIB:.0f} MiB | {s(c['checkpoint_s'])} | "
            f"{s(r['dump_s'])} | {s(r['dump_sync_s'])} | {crik_t / raw_sync:.2f}× ({crik_t / raw_t:.2f}× raw dump) | "
            f"{(crik_t - raw_sync) * 1e3:+.0f} ms | {size / MIB / crik_t:.0f} MiB/s | "
            f"{r['image_bytes']['median'] / MIB / raw_sync:.0f} MiB/s | "
            f"{(cpu['median'] / (size / (1 << 30))) if cpu else float('nan'):.2f} s | {yes(ok) if primary else '–'} |")
    if primary:
        goals.append((f"checkpoint at most {CHECKPOINT_GOAL:.2f}× raw CRIU dump + sync at every size", met_all,
                      "; ".join(f"{m} MiB: {d['crik']['checkpoint_s']['median']:.3f} s vs {d['raw']['dump_sync_s']['median']:.3f} s"
                                for m, d in data["sizes"].items())))
    lines += ["", "Where crik's checkpoint time goes (crik's own line; median per stage; **dump** is CRIU's run, the app frozen, "
              "with crik taking its images; **seal and flush** is syncfs and the checksums of saved files; the pages image's stream "
              "says how long crik's reader waited for CRIU to write and for crik's own hashing and writing):", ""]
    stage_table(data, "stage ", lines)
    stage_table(data, "stream ", lines)
    lines += [
        f"**Restore**, {'cold page cache (dropped before each restore)' if data.get('cold') else 'warm page cache'}, "
        f"memory {data.get('memory', 'as-is')} (`--memory`): **crik** from starting `unshare … crik run` to the restored "
        "app's next line on the new pod's stdout (primary), and to crik's \"Restored checkpoint\" log line as the harness "
        "read it (`lazyRestore: off`: where userfaultfd is allowed, CRIU restores the processes stopped and crik fills "
        "every page before the app runs; part 6 measures the lazy restore that is the default from 256 MiB); "
        "**raw**: `nsenter … criu restore --restore-detached` with crik's restore options and `--inherit-fd` for the "
        "stdout/stderr pipes, into a fresh pod whose PID 1 is `sleep`, to the app's next line, and to criu's exit.", "",
        "| app RSS | crik: start → app line | crik: start → log line | crik's own restore time | raw: start → app line | raw: criu exits | crik / raw (app line) | crik − raw | goal |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    met_all = True
    for mib, sides in data["sizes"].items():
        c, r = sides["crik"], sides["raw"]
        crik_t, raw_t = c["restore_first_line_s"]["median"], r["restore_first_line_s"]["median"]
        ok = within(crik_t, raw_t, restore_goal(data))
        met_all &= ok
        lines.append(f"| {c['rss_kib']['median'] / 1024:.0f} MiB | {s(c['restore_first_line_s'])} | {s(c['restore_s'])} | "
                     f"{s(c['crik_reported_restore_s'])} | {s(r['restore_first_line_s'])} | {s(r['restore_s'])} | "
                     f"{crik_t / raw_t:.2f}× | {(crik_t - raw_t) * 1e3:+.0f} ms | {yes(ok) if primary else '–'} |")
    if primary:
        goals.append((f"restore at most {restore_goal(data):.2f}× raw CRIU restore at every size", met_all,
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
        goal = FIRST_ANSWER_GOAL_S.get(entry["store"], 1.0)
        goals.append((f"lazy restore from {entry['store']}, {entry['mib']} MiB: first answer within {goal} s", lazy["first_answer_s"]["median"] <= goal,
                      f"{lazy['first_answer_s']['median']:.3f} s (eager {eager['first_answer_s']['median']:.3f} s)"))
        goals.append((f"lazy restore from {entry['store']}, {entry['mib']} MiB: all in within 1.0× the eager restore",
                      lazy["all_in_s"]["median"] <= eager["all_in_s"]["median"],
                      f"{lazy['all_in_s']['median'] / eager['all_in_s']['median']:.2f}×"))
        if during:
            goals.append((f"lazy restore from {entry['store']}, {entry['mib']} MiB: answers while the memory arrives within 20 ms (p99)",
                          during["p99"] <= DURING_P99_GOAL_MS, f"{during['p99']:.1f} ms"))
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
            for goal_s, issue in DOWNTIME_GOALS_S:
                goals.append((f"downtime of a 2 GiB app after a {data['percent']:g} % rewrite at most {goal_s} s (issue {issue})",
                              m["downtime_s"]["median"] <= goal_s, f"{m['downtime_s']['median']:.2f} s"))
            ratio = m["sigterm_checkpoint_s"]["median"] / m["full_checkpoint_s"]["median"]
            goals.append((f"... and its SIGTERM checkpoint at most {SIGTERM_CHECKPOINT_GOAL}× the full one", ratio <= SIGTERM_CHECKPOINT_GOAL,
                          f"{ratio:.2f}×"))
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


# --- The table of what holds now, at the top of docs/benchmarks.md --------------------------------------------------------
# Only the rows between the two markers are this script's: a row whose first cell names a figure this run measured is
# replaced (a new figure is added at the end), every other row and all the hand-written text around them are kept.

BEGIN = "<!-- bench/report.py: generated rows begin"
END = "<!-- bench/report.py: generated rows end -->"
TABLE_HEAD = ["| figure | holds now | goal (issue): met? | first touch | measured | command |", "|---|---|---|---|---|---|"]


def size_name(mib):
    mib = int(mib)
    return f"{mib >> 10} GiB" if mib >= 1024 and mib % 1024 == 0 else f"{mib} MiB"


def sec(stat):
    """A median in seconds, with min–max when the rounds differed."""
    if stat["min"] != stat["max"]:
        return f"{stat['median']:.3f} s ({stat['min']:.3f}–{stat['max']:.3f})"
    return f"{stat['median']:.3f} s"


def met(ok):
    return "met" if ok else "not met"


def met_where(checks):
    """One goal over several sizes or stores: (label, ok) each."""
    good, bad = [label for label, ok in checks if ok], [label for label, ok in checks if not ok]
    if not bad or not good:
        return met(not bad)
    return f"met at {', '.join(good)}; not met at {', '.join(bad)}"


def touch(data):
    cost = data.get("first_touch_us")
    return f"{cost:.2f} µs" if cost is not None else "–"


def holds_part1(data):
    if not data or data.get("app", "random") != "random":
        return []
    command = (f"python3 bench/checkpoint.py --sizes {','.join(data['sizes'])} --reps {data['reps']}"
               + (f" --memory {data['memory']}" if "memory" in data else "") + (" --cold" if data.get("cold") else ""))
    warmth = "cold page cache" if data.get("cold") else "warm"
    restore_issues = "48" if data.get("cold") else "48, 62"
    rows = []
    for mib, sides in data["sizes"].items():
        c, r = sides["crik"], sides["raw"]
        ratio = c["checkpoint_s"]["median"] / r["dump_sync_s"]["median"]
        rows.append((f"Checkpoint, {size_name(mib)}, against raw `criu dump` + syncfs",
                     f"{sec(c['checkpoint_s'])} against {sec(r['dump_sync_s'])} ({ratio:.2f}×)",
                     f"≤ {CHECKPOINT_GOAL:.2f}× (48): {met(ratio <= CHECKPOINT_GOAL)}", touch(data), command))
        ratio = c["restore_first_line_s"]["median"] / r["restore_first_line_s"]["median"]
        rows.append((f"Eager restore, {size_name(mib)}, {warmth}, against raw `criu restore`",
                     f"{sec(c['restore_first_line_s'])} against {sec(r['restore_first_line_s'])} ({ratio:.2f}×)",
                     f"≤ {restore_goal(data):.1f}× ({restore_issues}): {met(ratio <= restore_goal(data))}", touch(data), command))
    return rows


def holds_part2(data):
    if not data:
        return []
    crik = next((name for name in data["startup"] if name.startswith("crik")), None)
    if crik is None:
        return []
    others = [name for name in data["startup"] if name != crik and name != "/bin/true alone"]
    start = data["startup"][crik]["seconds"]
    rss = data["idle_rss_kib"]
    signal = data["signal_s"]
    command = (f"python3 bench/init.py --crik NativeAOT=CRIK --floor hello=HELLO --runs {start['n']} "
               f"--reps {rss[crik]['n']} --signals {data['signal_count']}")
    return [
        ("Init: `crik run -- /bin/true` start-up",
         f"{start['median'] * 1e3:.1f} ms (" + ", ".join(f"{name} {data['startup'][name]['seconds']['median'] * 1e3:.1f} ms"
                                                         for name in others) + ")",
         f"≤ 15 ms: {met(start['median'] <= 0.015)}", "–", command),
        ("Init: idle VmRSS as PID 1",
         f"{rss[crik]['median'] / 1024:.1f} MiB (" + ", ".join(f"{name} {stat['median'] / 1024:.1f} MiB"
                                                            for name, stat in rss.items() if name != crik) + ")",
         f"≤ 8 MiB: {met(rss[crik]['median'] / 1024 <= 8)}", "–", command),
        ("Init: a signal forwarded to the app",
         f"median {signal[crik]['median'] * 1e3:.3f} ms, p99 {signal[crik]['p99'] * 1e3:.3f} ms ("
         + ", ".join(f"{name} {stat['median'] * 1e3:.3f} / {stat['p99'] * 1e3:.3f} ms" for name, stat in signal.items() if name != crik)
         + ")", "none", "–", command),
    ]


def holds_part3(data):
    if not data:
        return []
    command = f"python3 bench/nodestate.py --server SERVER --reps {len(data['wrk_runs'])} --seconds {data['seconds']}"
    rps, p99 = data["rps"]["median"], data["p99_us"]["median"] / 1e3
    disrupt = data["visible_s"]["disrupt"]
    return [
        (f"Node-state server: {data['nodes']:,} nodes under wrk",
         f"{rps:,.0f} req/s; p99 {p99:.1f} ms ({data['p99_us']['min'] / 1e3:.1f}–{data['p99_us']['max'] / 1e3:.1f} ms over "
         f"{len(data['wrk_runs'])} runs)",
         f"≥ 20,000 req/s with p99 < 5 ms: req/s {met(rps >= 20000)}, p99 {met(p99 < 5)}", "–", command),
        (f"Node-state server: memory with {data['nodes']:,} nodes", f"peak (VmHWM) {data['rss_peak_kib'] / 1024:.1f} MiB",
         f"< 50 MiB: {met(data['rss_peak_kib'] / 1024 < 50)}", "–", command),
        ("Node-state server: a Node's change served", f"median {disrupt['median'] * 1e3:.1f} ms, p99 {disrupt['p99'] * 1e3:.1f} ms",
         f"< 100 ms: {met(disrupt['p99'] < 0.100)}", "–", command),
    ]


def holds_part4(data):
    if not data:
        return []
    modes = data.get("modes", {})
    m = (modes.get("on") or next(iter(modes.values())))["summary"] if modes else data["summary"]
    written = m["changed_written_bytes"]["median"] / m["full_written_bytes"]["median"]
    timed = m["changed_s"]["median"] / m["full_s"]["median"]
    track = " --track-writes both" if len(modes) == 2 else (" --track-writes off" if list(modes) == ["off"] else "")
    return [(f"Time to safe: SIGTERM checkpoint after {data['percent']:g} % of {size_name(data['mib'])} rewritten in one stretch",
             f"{m['changed_written_bytes']['median'] / MIB:.0f} of {m['image_bytes']['median'] / MIB:.0f} MiB written "
             f"({written:.3f}×), committed in {sec(m['changed_s'])} against {sec(m['full_s'])} ({timed:.2f}×)",
             f"≤ 0.10× the bytes, ≤ 0.5× the time: {met(written <= 0.10 and timed <= 0.5)}", "–",
             f"python3 bench/reuse.py --mib {data['mib']} --reps {data['reps']}{track}")]


def holds_part5(data):
    if not data:
        return []
    m = data["summary"]
    crik, raw, zstd = m["crik"], m["raw"], m["raw_zstd"]
    return [(f"Compressed (zstd) and encrypted images, {size_name(data['mib'])} half text",
             f"stores {crik['stored_bytes']['median'] / MIB:.0f} of {raw['stored_bytes']['median'] / MIB:.0f} MiB; checkpoint "
             f"{crik['checkpoint_s']['median']:.2f} s, restore {crik['restore_first_line_s']['median']:.2f} s, against raw CRIU + "
             f"`zstd -3 -T0` {zstd['dump_sync_s']['median']:.2f} s and {zstd['restore_first_line_s']['median']:.2f} s",
             "none", "–", f"python3 bench/secure.py --mib {data['mib']} --reps {data['reps']}")]


STORE_NAMES = {"volume": "from a volume", "s3": "from object storage (s3rver)"}


def holds_part6(data):
    if not data or not data.get("sizes"):
        return []
    entries = data["sizes"]
    stores = list(dict.fromkeys(e["store"] for e in entries))
    read_first = any("read first" in e or "written read first" in e for e in entries)
    command = (f"python3 bench/lazy.py --sizes {','.join(str(m) for m in dict.fromkeys(e['mib'] for e in entries))} "
               f"--reps {data['reps']} --stores {','.join(stores)}" + ("" if read_first else " --read-first 0")
               + (" --sparse" if data.get("sparse") else ""))

    def where(e):
        return f"{e['store']} {size_name(e['mib'])}"

    def ratio(e):
        return e["lazy"]["all_in_s"]["median"] / e["eager"]["all_in_s"]["median"]

    if data.get("sparse"):
        return [("Restore of memory full of holes (every other page dropped), cold page cache",
                 "first answer: " + "; ".join(f"{where(e)} lazy {e['lazy']['first_answer_s']['median']:.3f} s, eager "
                                              f"{e['eager']['first_answer_s']['median']:.3f} s" for e in entries),
                 "none", touch(data), command)]
    rows = []
    for store in stores:
        of = [e for e in entries if e["store"] == store]
        goal = FIRST_ANSWER_GOAL_S.get(store, 1.0)
        rows.append((f"Lazy restore: first answer {STORE_NAMES.get(store, 'from ' + store)}, cold",
                     ", ".join(f"{size_name(e['mib'])} {e['lazy']['first_answer_s']['median']:.3f} s" for e in of),
                     f"≤ {goal:g} s (38): " + met_where([(size_name(e["mib"]), e["lazy"]["first_answer_s"]["median"] <= goal) for e in of]),
                     touch(data), command))
    rows.append(("Lazy restore: all memory in, against an eager restore",
                 "; ".join(f"{where(e)} {e['lazy']['all_in_s']['median']:.2f} s against {e['eager']['all_in_s']['median']:.2f} s "
                           f"({ratio(e):.2f}×)" for e in entries),
                 "≤ 1.0× (38): " + met_where([(where(e), ratio(e) <= 1.0) for e in entries]), touch(data), command))
    during = [e for e in entries if e["lazy"]["during_ms"]]
    if during:
        rows.append(("Lazy restore: p99 latency while memory arrives",
                     "; ".join(f"{where(e)} {e['lazy']['during_ms']['p99']:.0f} ms" for e in during),
                     f"≤ {DURING_P99_GOAL_MS} ms (38): "
                     + met_where([(where(e), e["lazy"]["during_ms"]["p99"] <= DURING_P99_GOAL_MS) for e in during]),
                     touch(data), command))
    return rows


def holds_prefork(data):
    if not data:
        return []
    lazy, eager, before = data["lazy"]["pss_mib"]["median"], data["eager"]["pss_mib"]["median"], data["before_pss_mib"]
    return [(f"Pre-fork app (gunicorn `--preload`, {data['workers']} workers, {size_name(data['mib'])} model): tree PSS after a lazy restore",
             f"{lazy:.0f} MiB, against {before:.0f} MiB before the checkpoint and {eager:.0f} MiB after an eager restore",
             f"≤ 1.2× before, ≤ 1.1× eager (45): {met(lazy <= 1.2 * before and lazy <= 1.1 * eager)}", "–",
             f"python3 bench/prefork.py --mib {data['mib']} --reps {data['reps']}")]


def holds_part8(data):
    if not data or not data.get("sizes"):
        return []
    writes = data.get("writes", "scattered")
    where = "at random places" if writes == "scattered" else "in runs of 1 MiB"
    both = any("off" in entry for entry in data["sizes"].values())
    first = next(iter(data["sizes"].values()))
    primary = "on" if both or first["rounds"][0].get("app_wrote") else "off"
    # Runs from before downtime.py had "default" wrote trackWrites: on, off, or both.
    chosen = data.get("track_writes") or ("both" if both else "off" if primary == "off" else "on")
    command = (f"python3 bench/downtime.py --sizes {','.join(data['sizes'])} --reps {data['reps']} --percent {data['percent']:g} "
               f"--writes {writes}" + (f" --track-writes {chosen}" if chosen != "default" else "")
               + (f" --extra-config '{data['extra_config']}'" if data.get("extra_config") else ""))
    rows = []
    for mib, entry in data["sizes"].items():
        for tracked, part in [(primary, entry)] + ([("off", entry["off"])] if "off" in entry else []):
            m = part["summary"]
            goals = "none"
            if mib == "2048" and tracked == "on":
                goals = "; ".join(f"≤ {goal:g} s ({issue}): {met(m['downtime_s']['median'] <= goal)}" for goal, issue in DOWNTIME_GOALS_S)
            how = ("crik's defaults (writes tracked)" if chosen == "default" else "writes tracked") if tracked == "on" else "`trackWrites: off`"
            rows.append((f"Downtime, {size_name(mib)}, {data['percent']:g} % rewritten {where}, {how}", sec(m["downtime_s"]),
                         goals, touch(data), command))
            if mib == "2048" and tracked == "on":
                ratio = m["sigterm_checkpoint_s"]["median"] / m["full_checkpoint_s"]["median"]
                rows.append((f"SIGTERM checkpoint, {size_name(mib)}, {data['percent']:g} % rewritten {where}, against the full one before it",
                             f"{sec(m['sigterm_checkpoint_s'])} against {sec(m['full_checkpoint_s'])} ({ratio:.2f}×)",
                             f"≤ {SIGTERM_CHECKPOINT_GOAL}× (62): {met(ratio <= SIGTERM_CHECKPOINT_GOAL)}", touch(data), command))
    return rows


def holds_rows(results, measured):
    """The rows of the table of what holds now that this run's results give, as table lines keyed by their figure."""
    rows = (holds_part1(results["checkpoint.json"]) + holds_part2(results["init.json"]) + holds_part3(results["nodestate.json"])
            + holds_part4(results["reuse.json"]) + holds_part5(results["secure.json"]) + holds_part6(results["lazy.json"])
            + holds_prefork(results["prefork.json"]) + holds_part8(results["downtime.json"]))
    return {key: f"| {key} | {holds} | {goal} | {first_touch} | {measured} | `{command}` |"
            for key, holds, goal, first_touch, command in rows}


def row_key(line):
    return line[2:line.index(" | ")] if line.startswith("| ") and " | " in line else None


def update_holds(path, rows):
    """Replaces the rows of the table of what holds now that this run measured, and adds those it has no row for."""
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
    else:
        text = f"# Benchmarks\n\n{BEGIN} (a row is replaced by its first cell) -->\n{END}\n"
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"report.py: {path} has no table of what holds now between '{BEGIN}' and '{END}'; "
                         "nothing was written to it")
    region = text[start:end].splitlines()
    kept = [line for line in region[1:] if row_key(line) and line not in TABLE_HEAD and not line.startswith("|---")]
    table = {row_key(line): line for line in kept}
    table.update((key, line) for key, line in rows.items())
    lines = [region[0]] + TABLE_HEAD + list(table.values())
    with open(path, "w") as f:
        f.write(text[:start] + "\n".join(lines) + "\n" + text[end:])


def build():
    """The commit the run's crik was published from (scripts/bench.sh publishes the working tree)."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return run("git", "-C", repo, "describe", "--always", "--dirty", "--abbrev=7").strip()


def details(args, results):
    """Every table of the run, with the goals as this run met them."""
    lines = ["# One benchmark run", "",
             f"Produced by `{args.command}`. What holds across runs, with the goals and what was tried, is in docs/benchmarks.md; "
             "this is the whole of one run.", "",
             f"**Machine**: {machine(args.results)}.", ""]
    goals = []
    sizes = []
    tsv = results["sizes.tsv"]
    if tsv:
        labels = {"crik-aot/crik": "crik NativeAOT", "hello-aot/hello": "the NativeAOT hello world"}
        for row in tsv.splitlines():
            path, size = row.split("\t")
            label = next((v for k, v in labels.items() if path.endswith(k)), path)
            sizes.append((label, int(size)))
    part1(results["checkpoint.json"], lines, goals)
    part1(results["checkpoint-pattern.json"], lines, goals,
          title="### 1b. The same with memory that repeats (chunk reuse at work, not the cost of streaming)", primary=False)
    part2(results["init.json"], sizes, lines, goals)
    part3(results["nodestate.json"], results["nodestate.status"], lines, goals)
    part4(results["reuse.json"], lines, goals)
    part5(results["secure.json"], lines, goals)
    part6(results["lazy.json"], lines, goals)
    part6_prefork(results["prefork.json"], lines, goals)
    part8(results["downtime.json"], lines, goals)
    lines += ["## Goals", "", "Recorded, not asserted.", "", "| goal | result | measured (median) |", "|---|---|---|"]
    for goal, ok, detail in goals:
        lines.append(f"| {goal} | {'not measured' if ok is None else yes(ok)} | {detail} |")
    lines.append("")
    return lines


RESULTS = ("checkpoint.json", "checkpoint-pattern.json", "init.json", "nodestate.json", "nodestate.status", "reuse.json",
           "secure.json", "lazy.json", "prefork.json", "downtime.json", "sizes.tsv")


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description="Writes one run's results: every table into --details, and the rows of "
                                                 "docs/benchmarks.md's table of what holds now that the run measured into --out.")
    parser.add_argument("--results", required=True, help="the directory of the run's JSON files")
    parser.add_argument("--out", required=True, help="docs/benchmarks.md: only its table of what holds now is touched")
    parser.add_argument("--command", required=True, help="the command that made the run, for the details' header")
    parser.add_argument("--details", default=os.path.join(repo, "artifacts", "bench-results", "report.md"),
                        help="where the run's full tables go (default: artifacts/bench-results/report.md, beside the "
                             "results scripts/bench.sh keeps)")
    args = parser.parse_args()
    results = {name: load(args.results, name) for name in RESULTS}
    os.makedirs(os.path.dirname(os.path.abspath(args.details)), exist_ok=True)
    with open(args.details, "w") as f:
        f.write("\n".join(details(args, results)))
    date = (load(args.results, "date.txt") or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"))[:10]
    commit = build()
    update_holds(args.out, holds_rows(results, f"{date}, {commit}" if commit else date))


if __name__ == "__main__":
    main()
