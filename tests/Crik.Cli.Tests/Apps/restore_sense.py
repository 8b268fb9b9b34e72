# How the Python test apps notice a restore: CRIU's restore makes each process anew, with its old PID, so the time the
# kernel made it (field 22 of /proc/self/stat) changes, however soon after its checkpoint the restore came. A wall
# clock that jumps misses a fast restore and takes a long freeze for one.
import os


def _started():
    with open("/proc/self/stat") as f:
        stat = f.read()
    return int(stat[stat.rindex(")") + 2:].split()[19])


class RestoreSense:
    def __init__(self):
        self._seen = (os.getpid(), _started())

    def restored(self):
        """Whether this process was restored since it last asked; a forked child, with a PID of its own, starts over."""
        now = (os.getpid(), _started())
        was, self._seen = self._seen, now
        return now[0] == was[0] and now != was
