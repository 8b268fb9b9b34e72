// Test app for checkpoints that read only what the app wrote since the previous one (WrittenOnlyCheckpointTests).
// It maps 64 MiB, fills every page with bytes of its own, and says "ready". On each SIGUSR1 it takes one round:
// it rewrites 1 MiB in a row at a random place and 16 pages here and there (writes spread over most of the memory
// make crik dump all of it), and changes its memory's shape as a round's number says
// (1: maps a new area; 2: moves that area elsewhere with mremap, grown, and forks a child that goes on with a copy of
// everything; 3: drops 16 pages with MADV_DONTNEED and unmaps 16 more; 4 and later: rewrites alone). A child takes the
// same rounds on its own copy when its parent passes SIGUSR1 on. After each round each process says
// "digest <name> <round> <hex>", a digest of all its areas. On SIGUSR2 each says its digest again, unchanged.
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096L
#define PAGES (64 * 256L)
#define CUT 4096L // where the 16 unmapped pages start, in pages
#define BLOCK 256L // pages rewritten in a row each round
#define SCATTERED 16L // and pages rewritten here and there

static volatile sig_atomic_t rounds_asked, digest_asked;
static char *area, *extra;
static long extra_pages;
static int round_number, unmapped;
static uint64_t rng = 88172645463325252ULL;
static pid_t child;
static const char *name = "parent";

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void fill(char *page, uint64_t seed)
{
    for (long i = 0; i < PAGE; i += 8) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        memcpy(page + i, &seed, 8);
    }
}

static uint64_t digest_of(const char *from, long bytes, uint64_t hash)
{
    for (long i = 0; i < bytes; i++)
        hash = (hash ^ (unsigned char)from[i]) * 1099511628211ULL;
    return hash;
}

static void say_digest(void)
{
    uint64_t hash = 14695981039346656037ULL;
    if (unmapped) {
        hash = digest_of(area, CUT * PAGE, hash);
        hash = digest_of(area + (CUT + 16) * PAGE, (PAGES - CUT - 16) * PAGE, hash);
    } else {
        hash = digest_of(area, PAGES * PAGE, hash);
    }
    if (extra)
        hash = digest_of(extra, extra_pages * PAGE, hash);
    printf("digest %s %d %016llx\n", name, round_number, (unsigned long long)hash);
}

static void take_round(void)
{
    round_number++;
    long block = (long)(next_random() % (PAGES - BLOCK));
    for (long i = 0; i < BLOCK + SCATTERED; i++) {
        long page = i < BLOCK ? block + i : (long)(next_random() % PAGES);
        if (!unmapped || page < CUT || page >= CUT + 16)
            fill(area + page * PAGE, next_random());
    }
    if (round_number == 1) {
        extra_pages = 256;
        extra = mmap(NULL, extra_pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        for (long i = 0; i < extra_pages; i++)
            fill(extra + i * PAGE, next_random());
    } else if (round_number == 2) {
        // Grown, it cannot stay: the 64 MiB area lies right above it.
        char *moved = mremap(extra, extra_pages * PAGE, 2 * extra_pages * PAGE, MREMAP_MAYMOVE);
        if (moved == MAP_FAILED)
            _exit(3);
        extra = moved;
        for (long i = extra_pages; i < 2 * extra_pages; i++)
            fill(extra + i * PAGE, next_random());
        extra_pages *= 2;
        if (child == 0 && strcmp(name, "parent") == 0) {
            child = fork();
            if (child == 0) {
                name = "child";
                rng ^= 0x5deece66dULL;
                for (long i = 0; i < 64; i++)
                    fill(area + (long)(next_random() % PAGES) * PAGE, next_random());
            }
        }
    } else if (round_number == 3) {
        madvise(area + 100 * PAGE, 16 * PAGE, MADV_DONTNEED);
        munmap(area + CUT * PAGE, 16 * PAGE);
        unmapped = 1;
    }
    say_digest();
}

static void on_usr1(int signo) { (void)signo; rounds_asked++; }
static void on_usr2(int signo) { (void)signo; digest_asked = 1; }

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    area = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED)
        return 1;
    for (long i = 0; i < PAGES; i++)
        fill(area + i * PAGE, (uint64_t)i);
    sigset_t both, waiting;
    sigemptyset(&both);
    sigaddset(&both, SIGUSR1);
    sigaddset(&both, SIGUSR2);
    sigprocmask(SIG_BLOCK, &both, &waiting);
    sigdelset(&waiting, SIGUSR1);
    sigdelset(&waiting, SIGUSR2);
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, on_usr2);
    printf("ready\n");
    for (;;) {
        while (!rounds_asked && !digest_asked)
            sigsuspend(&waiting);
        if (digest_asked) {
            digest_asked = 0;
            if (child > 0)
                kill(child, SIGUSR2);
            say_digest();
        }
        for (; rounds_asked > 0; rounds_asked--) {
            int had_child = child > 0;
            take_round();
            if (had_child)
                kill(child, SIGUSR1);
        }
    }
}
