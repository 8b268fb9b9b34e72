// Test app for the other ways in to a restored app's memory while it arrives (MemoryAccessCaseTests): other processes
// and threads, the kernel's own reads into it, and shared memory beside it.
// Usage: memory-access-cases CASE MIB, CASE one or more of the names below joined by "+". It maps 16 areas of MIB/16
// mebibytes each, separate mappings between pages mapped PROT_NONE: private anonymous ones, then one of a memfd
// (MAP_SHARED) and two MAP_SHARED|MAP_ANONYMOUS; fills them with bytes computed from where they are (so that it can check
// them without keeping a copy), and says "allocated MIB". Then it says "count N" every 0.1 s. When its wall clock jumps
// by more than 1 s (it was checkpointed and restored), it does what each case says at once, each in an area of its own,
// reading as little of its memory as it can, and says "changed N" (N restores so far). What a case writes is the area's
// own bytes with a mask (XOR), the same again after each restore; "sampled" is one page of every 64 of the case's area.
//   vfork         a child made by vfork reads the sampled pages, then _exit: "vfork child yes|no"
//   clonevm       a child made by clone(CLONE_VM) reads the sampled pages and writes parts of four others:
//                 "clone child yes|no" (its reads, and the parent's of what it wrote)
//   threads       8 threads, released at once, each write a word of the same 8 pages and read the rest of them, half
//                 reading first: "threads yes|no"
//   exitchild     a forked child reads the sampled pages and exits, its memory still arriving: "exited child yes|no"
//   vmreadv       a forked helper reads its parent's sampled pages with process_vm_readv: "vmreadv yes|no"
//   vmwritev      a forked helper writes part of each sampled page of its parent with process_vm_writev:
//                 "vmwritev yes|no" (the helper's writes, and the parent's reads of those pages)
//   procmemread   as vmreadv, through /proc/PID/mem: "procmem read yes|no"
//   procmemwrite  as vmwritev, through /proc/PID/mem: "procmem write yes|no"
//                 (no test runs these two: the kernel refuses /proc/PID/mem on a page not arrived yet with EIO, see
//                 docs/lazy-restore.md "What is not done here")
//   readpipe      read(2) from a pipe into parts of four pages: "read pipe yes|no"
//   readfile      read(2) from a file beside the app likewise: "read file yes|no"
//   odirect       an O_DIRECT read from a file beside the app into four whole pages: "odirect yes|no"
//   iouring       two IORING_OP_READ from a file into parts of four pages each, one done at once if it can be, one
//                 on a kernel worker (IOSQE_ASYNC), through rings it maps itself: "iouring yes|no"
//   memfd         writes parts of four pages of the memfd area and reads them and the sampled pages: "memfd yes|no"
//   sharedanon    likewise in a MAP_SHARED|MAP_ANONYMOUS area: "shared yes|no"
//   removeshared  the second half of the other shared area is dropped with MADV_REMOVE: "removed yes|no" (zeros)
// Before the cases act it says "unfilled P": the percentage of the pages of the private areas they act on (and of one
// that no case touches) that are not in its memory yet (its /proc/self/pagemap). On SIGUSR1 it checks every byte of every area ("intact yes|no").
// A call that fails says "change failed CASE: why".
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memory-case-app.h"

// Each case's area; the last three are shared.
enum { VFORK, CLONEVM, THREADS, EXITCHILD, VMREADV, VMWRITEV, PROCMEMREAD, PROCMEMWRITE, READPIPE, READFILE, ODIRECT, IOURING, UNTOUCHED, MEMFD, SHAREDANON, REMOVESHARED, AREAS };

#define PAGE 4096
#define PAGE_WORDS (PAGE / sizeof(uint64_t))
#define SAMPLED_EVERY 64
#define MASK 0x5a5a5a5a5a5a5a5aULL
#define MAX_MASKED 64
#define THREAD_COUNT 8
#define THREAD_PAGES 8

struct range {
    size_t from, to; // words
};

static uint64_t *areas[AREAS];
static size_t area_words;
// What each area holds: its own bytes, but zeros in zeroed and masked bytes in masked.
static struct range zeroed[AREAS];
static struct range masked[AREAS][MAX_MASKED];
static int masked_count[AREAS];
static char beside[4096]; // the app's directory, where its files go (and are deleted at once)
static int memfd;

static uint64_t want(int area, size_t word)
{
    if (word >= zeroed[area].from && word < zeroed[area].to)
        return 0;
    for (int m = 0; m < masked_count[area]; m++)
        if (word >= masked[area][m].from && word < masked[area][m].to)
            return expected(area, word) ^ MASK;
    return expected(area, word);
}

static int holds(int area, size_t from, size_t to)
{
    for (size_t w = from; w < to; w++)
        if (areas[area][w] != want(area, w))
            return 0;
    return 1;
}

static int sampled(int area)
{
    int ok = 1;
    for (size_t w = 0; w < area_words; w += SAMPLED_EVERY * PAGE_WORDS)
        ok = holds(area, w, w + PAGE_WORDS) && ok;
    return ok;
}

// Words from the middle of page 5 of the area's quarter to the middle of page 8 (never a sampled page).
static struct range across_pages(int quarter)
{
    size_t from = area_words / 4 * quarter + 5 * PAGE_WORDS + 100;
    return (struct range){from, from + 3 * PAGE_WORDS};
}

// The whole pages of a range, so that a check sees the bytes written and the bytes around them.
static int holds_pages(int area, struct range r)
{
    return holds(area, r.from / PAGE_WORDS * PAGE_WORDS, (r.to + PAGE_WORDS - 1) / PAGE_WORDS * PAGE_WORDS);
}

static int mask(int area, struct range r)
{
    for (int m = 0; m < masked_count[area]; m++)
        if (masked[area][m].from == r.from && masked[area][m].to == r.to)
            return 1;
    if (masked_count[area] == MAX_MASKED)
        return 0;
    masked[area][masked_count[area]++] = r;
    return 1;
}

// The masked bytes of a range, in a buffer of their own (malloc).
static uint64_t *masked_copy(int area, struct range r)
{
    uint64_t *copy = malloc((r.to - r.from) * sizeof(uint64_t));
    for (size_t w = r.from; copy && w < r.to; w++)
        copy[w - r.from] = expected(area, w) ^ MASK;
    return copy;
}

static size_t bytes_of(struct range r) { return (r.to - r.from) * sizeof(uint64_t); }

static int failed(const char *which, const char *call)
{
    printf("change failed %s: %s: %s\n", which, call, strerror(errno));
    return 0;
}

// Waits for a child whose exit status is its answer (0 yes); anything else is said.
static int answered(const char *which, pid_t child)
{
    int status;
    if (child < 0)
        return failed(which, "fork");
    if (waitpid(child, &status, __WALL) != child)
        return failed(which, "waitpid");
    if (WIFEXITED(status) && WEXITSTATUS(status) <= 1)
        return WEXITSTATUS(status) == 0;
    printf("change failed %s: child status %d\n", which, status);
    return 0;
}

static void act_vfork(int area)
{
    pid_t child = vfork();
    if (child == 0)
        _exit(sampled(area) ? 0 : 1);
    printf("vfork child %s\n", yes(answered("vfork", child)));
}

static int clone_child(void *arg)
{
    int area = *(int *)arg;
    int ok = sampled(area);
    struct range r = across_pages(2);
    for (size_t w = r.from; w < r.to; w++)
        areas[area][w] = expected(area, w) ^ MASK;
    return ok ? 0 : 1;
}

static void act_clonevm(int area)
{
    size_t stack_bytes = 256 * 1024;
    char *stack = mmap(NULL, stack_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        failed("clonevm", "mmap");
        return;
    }
    int ok = mask(area, across_pages(2));
    ok = answered("clonevm", clone(clone_child, stack + stack_bytes, CLONE_VM | SIGCHLD, &area)) && ok;
    munmap(stack, stack_bytes);
    printf("clone child %s\n", yes(ok && holds_pages(area, across_pages(2))));
}

static pthread_barrier_t together;
static int thread_area;

static size_t thread_page(int k) { return (area_words / PAGE_WORDS / THREAD_PAGES) * k + 7; }

static void *fault_together(void *arg)
{
    long t = (long)arg;
    int ok = 1;
    pthread_barrier_wait(&together);
    for (int k = 0; k < THREAD_PAGES; k++) {
        size_t first = thread_page(k) * PAGE_WORDS;
        if (t % 2)
            ok = holds(thread_area, first + THREAD_COUNT, first + PAGE_WORDS) && ok;
        areas[thread_area][first + t] = expected(thread_area, first + t) ^ MASK;
        if (t % 2 == 0)
            ok = holds(thread_area, first + THREAD_COUNT, first + PAGE_WORDS) && ok;
    }
    return (void *)(long)ok;
}

static void act_threads(int area)
{
    pthread_t threads[THREAD_COUNT];
    int ok = 1, started = 0;
    thread_area = area;
    for (int k = 0; k < THREAD_PAGES; k++)
        ok = mask(area, (struct range){thread_page(k) * PAGE_WORDS, thread_page(k) * PAGE_WORDS + THREAD_COUNT}) && ok;
    pthread_barrier_init(&together, NULL, THREAD_COUNT);
    for (long t = 0; t < THREAD_COUNT; t++)
        if (pthread_create(&threads[t], NULL, fault_together, (void *)t) == 0)
            started++;
    if (started < THREAD_COUNT) {
        // Those started wait at the barrier for ever: the app cannot go on.
        printf("change failed threads: pthread_create\n");
        fflush(stdout);
        _exit(1);
    }
    for (int t = 0; t < THREAD_COUNT; t++) {
        void *answer;
        pthread_join(threads[t], &answer);
        ok = answer != NULL && ok;
    }
    pthread_barrier_destroy(&together);
    for (int k = 0; k < THREAD_PAGES; k++)
        ok = holds(area, thread_page(k) * PAGE_WORDS, (thread_page(k) + 1) * PAGE_WORDS) && ok;
    printf("threads %s\n", yes(ok));
}

static void act_exitchild(int area)
{
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        printf("exited child %s\n", yes(sampled(area)));
        fflush(stdout);
        _exit(0);
    }
    answered("exitchild", child);
}

// Where a helper writes in each sampled page of its parent: words 8 to 15.
static struct range written_in(size_t page) { return (struct range){page * PAGE_WORDS + 8, page * PAGE_WORDS + 16}; }

static int mask_sampled(int area)
{
    int ok = 1;
    for (size_t page = 0; page < area_words / PAGE_WORDS; page += SAMPLED_EVERY)
        ok = mask(area, written_in(page)) && ok;
    return ok;
}

// A forked helper's work on its parent's area: 1 when it read what it expects (or wrote all it meant to).
typedef int (*helper_work)(pid_t parent, int area, const char *which);

static int vm_read(pid_t parent, int area, const char *which)
{
    int ok = 1;
    for (size_t w = 0; w < area_words; w += SAMPLED_EVERY * PAGE_WORDS) {
        uint64_t copy[PAGE_WORDS];
        struct iovec local = {copy, PAGE}, remote = {areas[area] + w, PAGE};
        if (process_vm_readv(parent, &local, 1, &remote, 1, 0) != PAGE)
            return failed(which, "process_vm_readv");
        for (size_t i = 0; i < PAGE_WORDS; i++)
            ok = copy[i] == want(area, w + i) && ok;
    }
    return ok;
}

static int vm_write(pid_t parent, int area, const char *which)
{
    for (size_t page = 0; page < area_words / PAGE_WORDS; page += SAMPLED_EVERY) {
        struct range r = written_in(page);
        uint64_t *bytes = masked_copy(area, r);
        struct iovec local = {bytes, bytes_of(r)}, remote = {areas[area] + r.from, bytes_of(r)};
        ssize_t wrote = process_vm_writev(parent, &local, 1, &remote, 1, 0);
        free(bytes);
        if (wrote != (ssize_t)bytes_of(r))
            return failed(which, "process_vm_writev");
    }
    return 1;
}

static int proc_mem(pid_t parent, int area, const char *which, int writing)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", parent);
    int fd = open(path, writing ? O_WRONLY : O_RDONLY);
    if (fd < 0)
        return failed(which, "open");
    int ok = 1;
    for (size_t page = 0; ok && page < area_words / PAGE_WORDS; page += SAMPLED_EVERY) {
        uint64_t copy[PAGE_WORDS];
        struct range r = writing ? written_in(page) : (struct range){page * PAGE_WORDS, (page + 1) * PAGE_WORDS};
        for (size_t w = r.from; writing && w < r.to; w++)
            copy[w - r.from] = want(area, w);
        off_t at = (off_t)(uintptr_t)(areas[area] + r.from);
        ssize_t done = writing ? pwrite(fd, copy, bytes_of(r), at) : pread(fd, copy, bytes_of(r), at);
        if (done != (ssize_t)bytes_of(r))
            ok = failed(which, writing ? "pwrite" : "pread");
        for (size_t w = r.from; ok && !writing && w < r.to; w++)
            ok = copy[w - r.from] == want(area, w);
    }
    close(fd);
    return ok;
}

static int proc_mem_read(pid_t parent, int area, const char *which) { return proc_mem(parent, area, which, 0); }

static int proc_mem_write(pid_t parent, int area, const char *which) { return proc_mem(parent, area, which, 1); }

// A forked helper works on this process's area; with writes, the parent then reads each sampled page.
static void by_helper(const char *which, const char *label, helper_work work, int area, int writes)
{
    pid_t parent = getpid();
    int ok = !writes || mask_sampled(area);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        int answer = work(parent, area, which);
        fflush(stdout);
        _exit(answer ? 0 : 1);
    }
    ok = answered(which, child) && ok;
    printf("%s %s\n", label, yes(ok && (!writes || sampled(area))));
}

static void act_vmreadv(int area) { by_helper("vmreadv", "vmreadv", vm_read, area, 0); }

static void act_vmwritev(int area) { by_helper("vmwritev", "vmwritev", vm_write, area, 1); }

static void act_procmemread(int area) { by_helper("procmemread", "procmem read", proc_mem_read, area, 0); }

static void act_procmemwrite(int area) { by_helper("procmemwrite", "procmem write", proc_mem_write, area, 1); }

// A file beside the app holding the masked bytes of the ranges one after the other, deleted at once; -1 on failure.
static int file_of(const char *which, int area, const struct range *ranges, int count)
{
    char path[sizeof beside + 64];
    snprintf(path, sizeof path, "%s/memory-access-%s-%d", beside, which, getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return failed(which, "open") - 1;
    unlink(path);
    for (int r = 0; r < count; r++) {
        uint64_t *bytes = masked_copy(area, ranges[r]);
        ssize_t wrote = bytes ? write(fd, bytes, bytes_of(ranges[r])) : -1;
        free(bytes);
        if (wrote != (ssize_t)bytes_of(ranges[r])) {
            close(fd);
            return failed(which, "write") - 1;
        }
    }
    if (fsync(fd) != 0) {
        close(fd);
        return failed(which, "fsync") - 1;
    }
    return fd;
}

static void act_readpipe(int area)
{
    struct range r = across_pages(2);
    int ends[2], ok = mask(area, r);
    uint64_t *bytes = masked_copy(area, r);
    if (!bytes || pipe(ends) != 0) {
        failed("readpipe", "pipe");
        free(bytes);
        return;
    }
    // 12 KiB: the pipe takes it all before anyone reads.
    ok = write(ends[1], bytes, bytes_of(r)) == (ssize_t)bytes_of(r) && ok;
    close(ends[1]);
    ok = read(ends[0], areas[area] + r.from, bytes_of(r)) == (ssize_t)bytes_of(r) && ok;
    close(ends[0]);
    free(bytes);
    printf("read pipe %s\n", yes(ok && holds_pages(area, r)));
}

static void act_readfile(int area)
{
    struct range r = across_pages(2);
    int fd = file_of("readfile", area, &r, 1);
    if (fd < 0)
        return;
    int ok = mask(area, r) && pread(fd, areas[area] + r.from, bytes_of(r), 0) == (ssize_t)bytes_of(r);
    close(fd);
    printf("read file %s\n", yes(ok && holds_pages(area, r)));
}

static void act_odirect(int area)
{
    size_t from = area_words / 2 + 5 * PAGE_WORDS;
    struct range r = {from, from + 4 * PAGE_WORDS};
    int fd = file_of("odirect", area, &r, 1);
    if (fd < 0)
        return;
    if (fcntl(fd, F_SETFL, O_DIRECT) != 0) {
        failed("odirect", "fcntl O_DIRECT (the file system beside the app has no direct I/O)");
        close(fd);
        return;
    }
    int ok = mask(area, r);
    ssize_t done = pread(fd, areas[area] + r.from, bytes_of(r), 0);
    if (done != (ssize_t)bytes_of(r))
        ok = failed("odirect", "pread");
    close(fd);
    printf("odirect %s\n", yes(ok && holds_pages(area, r)));
}

// Reads the two ranges from fd (one after the other in it) through an io_uring of its own: the first at once in
// io_uring_enter if it can be, the second on a kernel worker (IOSQE_ASYNC). 1 when both read all their bytes.
static int uring_reads(int fd, int area, const struct range ranges[2])
{
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    int ring = (int)syscall(__NR_io_uring_setup, 2, &p);
    if (ring < 0)
        return failed("iouring", "io_uring_setup");
    size_t sq_bytes = p.sq_off.array + p.sq_entries * sizeof(unsigned), cq_bytes = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    size_t sqes_bytes = p.sq_entries * sizeof(struct io_uring_sqe);
    char *sq = mmap(NULL, sq_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
    char *cq = mmap(NULL, cq_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
    struct io_uring_sqe *sqes = mmap(NULL, sqes_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
    int ok = sq != MAP_FAILED && cq != MAP_FAILED && sqes != MAP_FAILED ? 1 : failed("iouring", "mmap");
    if (ok) {
        unsigned *tail = (unsigned *)(sq + p.sq_off.tail), sq_mask = *(unsigned *)(sq + p.sq_off.ring_mask);
        unsigned *array = (unsigned *)(sq + p.sq_off.array);
        for (unsigned i = 0; i < 2; i++) {
            memset(&sqes[i], 0, sizeof sqes[i]);
            sqes[i].opcode = IORING_OP_READ;
            sqes[i].flags = i == 1 ? IOSQE_ASYNC : 0;
            sqes[i].fd = fd;
            sqes[i].addr = (uint64_t)(uintptr_t)(areas[area] + ranges[i].from);
            sqes[i].len = (unsigned)bytes_of(ranges[i]);
            sqes[i].off = i == 0 ? 0 : bytes_of(ranges[0]);
            array[(*tail + i) & sq_mask] = i;
        }
        __atomic_store_n(tail, *tail + 2, __ATOMIC_RELEASE);
        if (syscall(__NR_io_uring_enter, ring, 2, 2, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
            ok = failed("iouring", "io_uring_enter");
    }
    for (int seen = 0; ok && seen < 2; seen++) {
        unsigned *head = (unsigned *)(cq + p.cq_off.head), cq_mask = *(unsigned *)(cq + p.cq_off.ring_mask);
        if (*head == __atomic_load_n((unsigned *)(cq + p.cq_off.tail), __ATOMIC_ACQUIRE)) {
            printf("change failed iouring: %d of 2 reads done\n", seen);
            ok = 0;
            break;
        }
        struct io_uring_cqe *cqe = (struct io_uring_cqe *)(cq + p.cq_off.cqes) + (*head & cq_mask);
        if (cqe->res != (int)bytes_of(ranges[0])) {
            printf("change failed iouring: a read gave %d (%s)\n", cqe->res, cqe->res < 0 ? strerror(-cqe->res) : "short");
            ok = 0;
        }
        __atomic_store_n(head, *head + 1, __ATOMIC_RELEASE);
    }
    // Nothing of the ring is left for the checkpoint (CRIU cannot dump an io_uring).
    if (sq != MAP_FAILED)
        munmap(sq, sq_bytes);
    if (cq != MAP_FAILED)
        munmap(cq, cq_bytes);
    if (sqes != MAP_FAILED)
        munmap(sqes, sqes_bytes);
    close(ring);
    return ok;
}

static void act_iouring(int area)
{
    struct range ranges[2] = {across_pages(2), across_pages(3)};
    int fd = file_of("iouring", area, ranges, 2);
    if (fd < 0)
        return;
    int ok = mask(area, ranges[0]) && mask(area, ranges[1]) && uring_reads(fd, area, ranges);
    close(fd);
    printf("iouring %s\n", yes(ok && holds_pages(area, ranges[0]) && holds_pages(area, ranges[1])));
}

static void write_and_check(int area, const char *label)
{
    struct range r = across_pages(2);
    int ok = mask(area, r);
    for (size_t w = r.from; w < r.to; w++)
        areas[area][w] = expected(area, w) ^ MASK;
    printf("%s %s\n", label, yes(ok && holds_pages(area, r) && sampled(area)));
}

static void act_memfd(int area) { write_and_check(area, "memfd"); }

static void act_sharedanon(int area) { write_and_check(area, "shared"); }

static void act_removeshared(int area)
{
    size_t half = area_words / 2;
    if (madvise(areas[area] + half, half * sizeof(uint64_t), MADV_REMOVE) != 0) {
        failed("removeshared", "madvise");
        return;
    }
    zeroed[area] = (struct range){half, area_words};
    printf("removed %s\n", yes(holds(area, half, area_words) && sampled(area)));
}

// The share of the pages of these areas not in memory yet (/proc/self/pagemap: neither present nor swapped), in percent.
static int unfilled_percent(const int *which, int count)
{
    int fd = open("/proc/self/pagemap", O_RDONLY);
    size_t pages = 0, unfilled = 0, page_count = area_words / PAGE_WORDS;
    uint64_t *entries = malloc(page_count * sizeof(uint64_t));
    for (int i = 0; fd >= 0 && entries && i < count; i++) {
        off_t at = (off_t)((uintptr_t)areas[which[i]] / PAGE * sizeof(uint64_t));
        if (pread(fd, entries, page_count * sizeof(uint64_t), at) != (ssize_t)(page_count * sizeof(uint64_t)))
            break;
        for (size_t p = 0; p < page_count; p++)
            unfilled += (entries[p] >> 62) == 0;
        pages += page_count;
    }
    free(entries);
    if (fd >= 0)
        close(fd);
    return pages ? (int)(unfilled * 100 / pages) : -1;
}

static const struct {
    const char *name;
    int area;
    void (*act)(int area);
} cases[] = {
    {"vfork", VFORK, act_vfork},
    {"clonevm", CLONEVM, act_clonevm},
    {"threads", THREADS, act_threads},
    {"exitchild", EXITCHILD, act_exitchild},
    {"vmreadv", VMREADV, act_vmreadv},
    {"vmwritev", VMWRITEV, act_vmwritev},
    {"procmemread", PROCMEMREAD, act_procmemread},
    {"procmemwrite", PROCMEMWRITE, act_procmemwrite},
    {"readpipe", READPIPE, act_readpipe},
    {"readfile", READFILE, act_readfile},
    {"odirect", ODIRECT, act_odirect},
    {"iouring", IOURING, act_iouring},
    {"memfd", MEMFD, act_memfd},
    {"sharedanon", SHAREDANON, act_sharedanon},
    {"removeshared", REMOVESHARED, act_removeshared},
};
#define CASES (int)(sizeof cases / sizeof cases[0])

// The cases asked for, in order, by their index in cases; the count.
static int asked_cases[CASES], asked_count;

static int parse_cases(char *names)
{
    for (char *name = strtok(names, "+"); name; name = strtok(NULL, "+")) {
        int found = -1;
        for (int c = 0; c < CASES; c++)
            if (strcmp(cases[c].name, name) == 0)
                found = c;
        if (found < 0 || asked_count == CASES)
            return 0;
        asked_cases[asked_count++] = found;
    }
    return asked_count > 0;
}

static void *map_area(char *at, size_t bytes, int area)
{
    if (area == MEMFD) {
        memfd = memfd_create("memory-access-cases", 0);
        if (memfd < 0 || ftruncate(memfd, (off_t)bytes) != 0)
            return MAP_FAILED;
        return mmap(at, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, memfd, 0);
    }
    int shared = area == SHAREDANON || area == REMOVESHARED;
    return mmap(at, bytes, PROT_READ | PROT_WRITE, (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

static void changed(int restores)
{
    (void)restores;
    int private_areas[CASES + 1] = {UNTOUCHED}, private_count = 1;
    for (int c = 0; c < asked_count; c++)
        if (cases[asked_cases[c]].area < UNTOUCHED)
            private_areas[private_count++] = cases[asked_cases[c]].area;
    printf("unfilled %d\n", unfilled_percent(private_areas, private_count));
    for (int c = 0; c < asked_count; c++)
        cases[asked_cases[c]].act(cases[asked_cases[c]].area);
}

static int intact_all(void)
{
    int ok = 1;
    for (int a = 0; a < AREAS; a++)
        ok = holds(a, 0, area_words) && ok;
    return ok;
}

int main(int argc, char **argv)
{
    if (argc != 3 || atoi(argv[2]) <= 0 || atoi(argv[2]) % AREAS || !parse_cases(argv[1])) {
        fprintf(stderr, "usage: memory-access-cases CASE[+CASE...] MIB (MIB a positive multiple of %d)\n", AREAS);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    snprintf(beside, sizeof beside, "%s", argv[0]);
    char *slash = strrchr(beside, '/');
    if (slash)
        slash[slash == beside] = 0;
    else
        strcpy(beside, ".");
    size_t bytes = ((size_t)atoi(argv[2]) << 20) / AREAS;
    area_words = bytes / sizeof(uint64_t);
    char *space = mmap(NULL, AREAS * (bytes + PAGE) + PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (space == MAP_FAILED)
        return 1;
    for (int a = 0; a < AREAS; a++) {
        void *at = map_area(space + PAGE + a * (bytes + PAGE), bytes, a);
        if (at == MAP_FAILED)
            return 1;
        areas[a] = at;
        for (size_t w = 0; w < area_words; w++)
            areas[a][w] = expected(a, w);
    }
    printf("allocated %s\n", argv[2]);
    count_and_act(changed, intact_all);
}
