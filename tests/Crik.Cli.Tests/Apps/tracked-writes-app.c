// Test app for the writes crik tracks between checkpoints (TrackedCheckpointTests). It maps 64 MiB, writes all of it,
// and says "ready". On each SIGUSR1 it writes one byte in each of 256 pages it has not written since its last SIGUSR1
// (the next 256 of the area, round it goes) and says "wrote 256"; on each SIGUSR2 it says "sum N", N the sum of the bytes
// it writes, so that a restored app shows that its memory holds every write. Otherwise it waits in sigsuspend, writing nothing.
// With the argument "spread", each SIGUSR1 writes one byte in every third page instead (5462 pages, all over the area), and
// says "wrote 5462": a checkpoint after that lists the previous one's chunks in thousands of slices.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096
#define PAGES (64 * 256)
#define EACH 256

static volatile sig_atomic_t asked, summing;

static void on_usr1(int signo) { (void)signo; asked = 1; }

static void on_usr2(int signo) { (void)signo; summing = 1; }

int main(int argc, char **argv)
{
    int spread = argc > 1 && strcmp(argv[1], "spread") == 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    char *area = mmap(NULL, (size_t)PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED)
        return 1;
    memset(area, 1, (size_t)PAGES * PAGE);
    sigset_t usr1, waiting;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigaddset(&usr1, SIGUSR2);
    sigprocmask(SIG_BLOCK, &usr1, &waiting);
    sigdelset(&waiting, SIGUSR1);
    sigdelset(&waiting, SIGUSR2);
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, on_usr2);
    printf("ready\n");
    for (long next = 0;; ) {
        while (!asked && !summing)
            sigsuspend(&waiting);
        if (summing) {
            summing = 0;
            unsigned long sum = 0;
            for (long page = 0; page < PAGES; page++)
                sum += (unsigned char)area[page * PAGE + 11];
            printf("sum %lu\n", sum);
        }
        if (!asked)
            continue;
        asked = 0;
        if (spread) {
            int wrote = 0;
            for (long page = 0; page < PAGES; page += 3, wrote++)
                area[page * PAGE + 11]++;
            printf("wrote %d\n", wrote);
            continue;
        }
        for (int i = 0; i < EACH; i++, next = (next + 1) % PAGES)
            area[next * PAGE + 11]++;
        printf("wrote %d\n", EACH);
    }
}
