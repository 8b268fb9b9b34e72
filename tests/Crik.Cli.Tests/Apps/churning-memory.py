#!/usr/bin/env python3
# Test app: holds MIB mebibytes (a multiple of 16) of random memory, one mmap in 16 regions with a digest
# each. Every tick it counts ("count N"); every fifth tick it checks all regions ("intact yes" or "intact
# no") and forks a child that checks them too ("child intact ..."). When it was restored (restore_sense.py),
# between two ticks or in the middle of a check, it at once churns the last
# regions (a loader filling in address order brings them in last). A child checks regions 12-15 ("churn
# child intact ..."); region 14 is mremapped elsewhere and checked there ("remapped intact ..."); region 13 and
# the second half of 15 are dropped with MADV_DONTNEED, checked to read as zeros ("removed zero ...",
# "half removed zero ...") and refilled; then "churned". A failed call prints "churn failed WHAT errno N".
import ctypes, hashlib, mmap, os, sys, time
from restore_sense import RestoreSense

libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mremap.restype = ctypes.c_void_p  # variadic in glibc: the fifth argument is the new address
libc.mremap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_int, ctypes.c_void_p]
libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
PROT_NONE, PROT_RW, PRIVATE_ANON = 0, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
MREMAP_MAYMOVE, MREMAP_FIXED, MADV_DONTNEED = 1, 2, 4
MAP_FAILED = ctypes.c_void_p(-1).value

mib = int(sys.argv[1])
if mib <= 0 or mib % 16:
    sys.exit("MIB must be a positive multiple of 16")
size = (mib << 20) // 16
base = libc.mmap(None, 16 * size, PROT_RW, PRIVATE_ANON, -1, 0)
if base == MAP_FAILED:
    sys.exit(f"mmap failed errno {ctypes.get_errno()}")
regions, digests = [base + r * size for r in range(16)], [b""] * 16  # region 14 moves on each restore

def say(text): print(text, flush=True)
def yes(ok): return "yes" if ok else "no"
def digest(r): return hashlib.sha256((ctypes.c_char * size).from_address(regions[r])).digest()
def zero(address, n): return ctypes.string_at(address, n) == bytes(n)
def failed(what): say(f"churn failed {what} errno {ctypes.get_errno()}")

def fill(r, offset=0):  # new random bytes from offset to the region's end
    ctypes.memmove(regions[r] + offset, os.urandom(size - offset), size - offset)
    digests[r] = digest(r)

def intact(which):
    ok = True
    for r in which:
        ok = digest(r) == digests[r] and ok
    return yes(ok)

def fork_check(which, who="child"):
    pid = os.fork()
    if pid == 0:
        say(f"{who} intact " + intact(which))
        os._exit(0)
    return pid

def churn_if_restored():
    if not sense.restored():
        return
    child = fork_check(range(12, 16), "churn child")
    new = libc.mmap(None, size, PROT_NONE, PRIVATE_ANON, -1, 0)  # a fresh address to move region 14 to
    if new == MAP_FAILED:
        failed("reserve")
    elif libc.mremap(regions[14], size, size, MREMAP_MAYMOVE | MREMAP_FIXED, new) == MAP_FAILED:
        failed("mremap")
        libc.munmap(new, size)
    else:
        regions[14] = new
        say("remapped intact " + yes(digest(14) == digests[14]))
    for what, r, offset in (("removed", 13, 0), ("half removed", 15, size // 2)):  # all of 13, the second half of 15
        if libc.madvise(regions[r] + offset, size - offset, MADV_DONTNEED) == -1:
            failed(f"madvise {r}")
        else:
            say(f"{what} zero " + yes(zero(regions[r] + offset, size - offset)))
            fill(r, offset)
    os.waitpid(child, 0)
    say("churned")

for r in range(16):
    fill(r)
sense, i = RestoreSense(), 0  # before the line the tests wait for
say(f"allocated {mib}")
while True:
    churn_if_restored()
    if i % 5 == 0:
        child = fork_check(range(16))
        say("intact " + intact(range(16)))
        os.waitpid(child, 0)
        churn_if_restored()  # frozen in the middle of the check
    say(f"count {i}")
    i += 1
    time.sleep(0.1)
