// Test app for copying what the app wrote while it still runs (CopyWhileRunningTests): it checks the order of its own
// writes, so a restored page that holds an older value than the last one written shows. Arguments: MiB (default 64) and
// pages written per second (default 4000).
// It maps P pages and writes page perm[s] with s for each s in 0..P-1 (perm a fixed pseudo-random permutation), then says
// "ready P". A writer thread goes on with seq = P, P+1, ...: page perm[seq % P] must hold seq - P (the last value written
// to it), else it says "broken page J holds X expected Y" and exits 3; then it writes the whole page with seq. After each
// whole round of P pages checked it says "round R clean". A churn thread maps, fills, checks and unmaps a 1 MiB area over
// and over (every third one with its second half dropped first), so a copy of the app's memory meets areas that vanish
// mid-copy; a churn area that does not hold what was written says "broken churn G" and exits 4.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096L
#define WORDS (PAGE / 8)
#define BATCH 64 // writes between two looks at the clock
#define LONG_GAP_NS 200000000L // behind by more than this: the app was frozen or restored, so no catching up
#define CHURN_BYTES (1024L * 1024)

static uint64_t *area;
static long *perm;
static long pages;
static long per_second;

static void *mapped(long bytes)
{
    void *at = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (at == MAP_FAILED) {
        perror("mmap");
        _exit(2);
    }
    return at;
}

static void make_permutation(void)
{
    uint64_t state = 0x2545F4914F6CDD1DULL;
    perm = malloc(pages * sizeof *perm);
    for (long i = 0; i < pages; i++)
        perm[i] = i;
    for (long i = pages - 1; i > 0; i--) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        long j = (long)((state >> 33) % (uint64_t)(i + 1));
        long swap = perm[i];
        perm[i] = perm[j];
        perm[j] = swap;
    }
}

static void write_page(long page, uint64_t value)
{
    uint64_t *words = area + page * WORDS;
    for (long i = 0; i < WORDS; i++)
        words[i] = value;
}

static long long now_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000000000LL + now.tv_nsec;
}

// Holds the average rate: sleeps until the batch's deadline, or starts afresh from now after a long gap.
static void pace(long long *deadline)
{
    *deadline += BATCH * 1000000000LL / per_second;
    long long now = now_ns();
    if (now > *deadline + LONG_GAP_NS) {
        *deadline = now;
    } else if (now < *deadline) {
        struct timespec until = { .tv_sec = *deadline / 1000000000LL, .tv_nsec = *deadline % 1000000000LL };
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) != 0) {
        }
    }
}

static void *writer(void *unused)
{
    (void)unused;
    long long deadline = now_ns();
    for (uint64_t seq = pages;; seq++) {
        if (seq % pages == 0 && seq > (uint64_t)pages) {
            printf("round %llu clean\n", (unsigned long long)(seq / pages - 1));
            fflush(stdout);
        }
        long page = perm[seq % pages];
        uint64_t expected = seq - pages;
        uint64_t *words = area + page * WORDS;
        uint64_t held = words[0] != expected ? words[0] : words[WORDS - 1];
        if (held != expected) {
            printf("broken page %ld holds %llu expected %llu\n", page, (unsigned long long)held, (unsigned long long)expected);
            fflush(stdout);
            _exit(3);
        }
        write_page(page, seq);
        if (seq % BATCH == BATCH - 1)
            pace(&deadline);
    }
    return NULL;
}

static void check_churn(const uint64_t *words, long from, long to, uint64_t generation, int dropped)
{
    for (long i = from; i < to; i++) {
        uint64_t want = dropped ? 0 : generation * 0x9E3779B97F4A7C15ULL + (uint64_t)i;
        if (words[i] != want) {
            printf("broken churn %llu\n", (unsigned long long)generation);
            fflush(stdout);
            _exit(4);
        }
    }
}

static void *churn(void *unused)
{
    (void)unused;
    long count = CHURN_BYTES / 8;
    for (uint64_t generation = 1;; generation++) {
        uint64_t *words = mapped(CHURN_BYTES);
        for (long i = 0; i < count; i++)
            words[i] = generation * 0x9E3779B97F4A7C15ULL + (uint64_t)i;
        struct timespec pause_for = { .tv_sec = 0, .tv_nsec = 20000000L };
        nanosleep(&pause_for, NULL);
        int drop = generation % 3 == 0;
        if (drop && madvise(words + count / 2, CHURN_BYTES / 2, MADV_DONTNEED) != 0) {
            perror("madvise");
            _exit(2);
        }
        check_churn(words, 0, count / 2, generation, 0);
        check_churn(words, count / 2, count, generation, drop);
        munmap(words, CHURN_BYTES);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    long mib = argc > 1 ? atol(argv[1]) : 64;
    per_second = argc > 2 ? atol(argv[2]) : 4000;
    if (mib <= 0 || per_second <= 0) {
        fprintf(stderr, "usage: %s [MiB] [pages per second]\n", argv[0]);
        return 2;
    }
    pages = mib * 1024 * 1024 / PAGE;
    area = mapped(pages * PAGE);
    make_permutation();
    for (long s = 0; s < pages; s++)
        write_page(perm[s], (uint64_t)s);
    printf("ready %ld\n", pages);
    fflush(stdout);
    pthread_t threads[2];
    if (pthread_create(&threads[0], NULL, writer, NULL) != 0 || pthread_create(&threads[1], NULL, churn, NULL) != 0) {
        fprintf(stderr, "pthread_create failed\n");
        return 2;
    }
    for (;;)
        pause();
}
