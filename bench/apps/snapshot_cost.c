// What a checkpoint that stops the app only to mark its memory (issue 77) would cost on this machine, in its parts:
// - the mark of all of its memory, with the app stopped: write-protecting it with userfaultfd in synchronous mode
//   (one UFFDIO_WRITEPROTECT over the whole area, every page present), which the kernel does entry by entry;
// - each page the app writes before the copy has read it: the write waits while another thread is told of the fault,
//   copies the page aside and lifts the protection of that page, which wakes the writer;
// - the mark of only the pages written since the last one, one UFFDIO_WRITEPROTECT each: in synchronous mode the copier
//   is told of every page the app writes, so a mark after the first need not walk the rest.
// Usage: snapshot_cost MIB. Maps MIB MiB, writes every page, then five rounds of: protect it all (timed), write one byte
// in each of 2,000 pages at random places (timed, each write waiting for the copier thread), protect those pages again
// one by one (timed). Prints "protect_all_ms=MEDIAN write_us=MEDIAN protect_written_ms=MEDIAN", or "none" where
// userfaultfd's write-protection is missing.
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "timing.h"

static int uffd;
static size_t page;

// Copies each page written under protection aside, as the checkpoint would save it, and lets its write go on.
static void *copier(void *unused)
{
    (void)unused;
    char *saved = malloc(page);
    for (;;) {
        struct uffd_msg message;
        if (read(uffd, &message, sizeof message) != sizeof message)
            continue;
        if (message.event != UFFD_EVENT_PAGEFAULT || !(message.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP))
            continue;
        unsigned long at = message.arg.pagefault.address & ~(page - 1);
        memcpy(saved, (const void *)at, page);
        struct uffdio_writeprotect lift = { .range = { at, page }, .mode = 0 };
        if (ioctl(uffd, UFFDIO_WRITEPROTECT, &lift))
            perror("UFFDIO_WRITEPROTECT");
    }
    return NULL;
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024, bytes = mib << 20, writes = 2000;
    page = (size_t)sysconf(_SC_PAGESIZE);
    size_t pages = bytes / page;
    volatile char *area = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
    struct uffdio_api api = { .api = UFFD_API, .features = 0 };
    struct uffdio_register registration = { .range = { (unsigned long)area, bytes }, .mode = UFFDIO_REGISTER_MODE_WP };
    if (area == MAP_FAILED || uffd < 0 || ioctl(uffd, UFFDIO_API, &api) || ioctl(uffd, UFFDIO_REGISTER, &registration)) {
        puts("none");
        return 0;
    }
    madvise((void *)area, bytes, MADV_NOHUGEPAGE); // as an app's heap mostly is: one entry for each 4 KiB page
    for (size_t at = 0; at < bytes; at += page)
        area[at] = 1;
    pthread_t thread;
    pthread_create(&thread, NULL, copier, NULL);
    double protect_ms[5], write_us[5], again_ms[5];
    unsigned int seed = 1;
    size_t *chosen = malloc(writes * sizeof *chosen);
    for (int round = 0; round < 5; round++) {
        struct uffdio_writeprotect protect = { .range = { (unsigned long)area, bytes }, .mode = UFFDIO_WRITEPROTECT_MODE_WP };
        double start = seconds();
        if (ioctl(uffd, UFFDIO_WRITEPROTECT, &protect)) {
            puts("none");
            return 0;
        }
        protect_ms[round] = (seconds() - start) * 1e3;
        for (size_t i = 0; i < writes; i++)
            chosen[i] = (size_t)rand_r(&seed) % pages; // a page chosen twice is written once more, without a fault: rare
        start = seconds();
        for (size_t i = 0; i < writes; i++)
            area[chosen[i] * page + 17] ^= 1;
        write_us[round] = (seconds() - start) / (double)writes * 1e6;
        start = seconds();
        for (size_t i = 0; i < writes; i++) {
            struct uffdio_writeprotect again = { .range = { (unsigned long)area + chosen[i] * page, page }, .mode = UFFDIO_WRITEPROTECT_MODE_WP };
            if (ioctl(uffd, UFFDIO_WRITEPROTECT, &again)) {
                puts("none");
                return 0;
            }
        }
        again_ms[round] = (seconds() - start) * 1e3;
    }
    qsort(protect_ms, 5, sizeof protect_ms[0], by_value);
    qsort(write_us, 5, sizeof write_us[0], by_value);
    qsort(again_ms, 5, sizeof again_ms[0], by_value);
    printf("protect_all_ms=%.2f write_us=%.2f protect_written_ms=%.2f\n", protect_ms[2], write_us[2], again_ms[2]);
    return 0;
}
