#!/usr/bin/env python3
# Test app: holds MIB mebibytes (a multiple of 16) of random memory, one mmap in 16 regions, with a
# digest of each kept in its own memory. It counts every 0.1 s ("count N"). When it was restored
# (restore_sense.py), it changes its memory at once, reading as little of
# it as it can (so that most of it has not arrived yet): new bytes in the first page of every region and
# in all of region 1, the second half of region 3 dropped with MADV_DONTNEED (checked to read as zeros:
# "dropped zero yes|no"), region 5 moved elsewhere with mremap; then "changed N" (N restores so far).
# On SIGUSR1 it checks every region against its digest: "intact yes|no".
import ctypes, hashlib, mmap, os, signal, sys, time
from restore_sense import RestoreSense

libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mremap.restype = ctypes.c_void_p  # variadic in glibc: the fifth argument is the new address
libc.mremap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_int, ctypes.c_void_p]
libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
PROT_NONE, PROT_RW, PRIVATE_ANON = 0, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
MREMAP_MAYMOVE, MREMAP_FIXED, MADV_DONTNEED = 1, 2, 4
MAP_FAILED = ctypes.c_void_p(-1).value
PAGE = mmap.PAGESIZE

mib = int(sys.argv[1])
if mib <= 0 or mib % 16:
    sys.exit("MIB must be a positive multiple of 16")
size = (mib << 20) // 16
base = libc.mmap(None, 16 * size, PROT_RW, PRIVATE_ANON, -1, 0)
if base == MAP_FAILED:
    sys.exit(f"mmap failed errno {ctypes.get_errno()}")
regions = [base + r * size for r in range(16)]

def say(text): print(text, flush=True)
def yes(ok): return "yes" if ok else "no"
def digest(r): return hashlib.sha256((ctypes.c_char * size).from_address(regions[r])).digest()

for r in range(16):
    ctypes.memmove(regions[r], os.urandom(size), size)
digests = [digest(r) for r in range(16)]

def change():
    for r in range(16):
        ctypes.memmove(regions[r], os.urandom(PAGE), PAGE)
    ctypes.memmove(regions[1], os.urandom(size), size)
    half = size // 2
    if libc.madvise(regions[3] + half, half, MADV_DONTNEED) != 0:
        say(f"change failed madvise errno {ctypes.get_errno()}")
    say("dropped zero " + yes(ctypes.string_at(regions[3] + half, half) == bytes(half)))
    new = libc.mmap(None, size, PROT_NONE, PRIVATE_ANON, -1, 0)  # a fresh address to move region 5 to
    if new == MAP_FAILED or libc.mremap(regions[5], size, size, MREMAP_MAYMOVE | MREMAP_FIXED, new) == MAP_FAILED:
        say(f"change failed mremap errno {ctypes.get_errno()}")
    else:
        regions[5] = new
    # The changed regions' digests: only regions 1 and 3 are read whole (region 3's second half is zeros now).
    for r in range(16):
        if r in (1, 3):
            digests[r] = digest(r)
        else:
            digests[r] = None  # its first page changed: checked page by page below
    firsts[:] = [ctypes.string_at(regions[r], PAGE) for r in range(16)]

# What a region holds, known without reading it: its digest before the first change, and its first page since.
firsts = []
originals = list(digests)
original_rest = {}

def check():
    ok = True
    for r in range(16):
        if digests[r] is not None:
            ok = digest(r) == digests[r] and ok
        else:
            rest = hashlib.sha256(ctypes.string_at(regions[r] + PAGE, size - PAGE)).digest()
            ok = ctypes.string_at(regions[r], PAGE) == firsts[r] and rest == original_rest[r] and ok
    say("intact " + yes(ok))

for r in range(16):
    original_rest[r] = hashlib.sha256(ctypes.string_at(regions[r] + PAGE, size - PAGE)).digest()

asked = False
def on_usr1(signum, frame):
    global asked
    asked = True
signal.signal(signal.SIGUSR1, on_usr1)

# The sense is made before the line the tests wait for: a checkpoint any time after that line is a restore seen.
restores, count, sense = 0, 0, RestoreSense()
say(f"allocated {mib}")
while True:
    if sense.restored():
        restores += 1
        change()
        say(f"changed {restores}")
    if asked:
        asked = False
        check()
    count += 1
    say(f"count {count}")
    time.sleep(0.1)
