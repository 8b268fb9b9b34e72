// The machine's cost of the first write to a page that write tracking watches: the kernel's fault that clears the
// page's userfaultfd write-protect bit (asynchronous mode, as crik arms it) and makes it writable again, which an app
// pays once per page it writes after each checkpoint. Maps 256 MiB, writes every page, protects it all, then writes
// one byte in each of 2,000 pages at random places; five rounds; prints the median in microseconds per page, or
// "none" where userfaultfd's asynchronous write-protection is missing.
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "timing.h"

#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif

int main(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), bytes = 256UL << 20, pages = bytes / page, writes = 2000;
    volatile char *area = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
    struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_WP_ASYNC };
    struct uffdio_register registration = { .range = { (unsigned long)area, bytes }, .mode = UFFDIO_REGISTER_MODE_WP };
    if (area == MAP_FAILED || uffd < 0 || ioctl(uffd, UFFDIO_API, &api) || ioctl(uffd, UFFDIO_REGISTER, &registration)) {
        puts("none");
        return 0;
    }
    for (size_t at = 0; at < bytes; at += page)
        area[at] = 1;
    double per_page[5];
    unsigned int seed = 1;
    for (int round = 0; round < 5; round++) {
        struct uffdio_writeprotect protect = { .range = { (unsigned long)area, bytes }, .mode = UFFDIO_WRITEPROTECT_MODE_WP };
        if (ioctl(uffd, UFFDIO_WRITEPROTECT, &protect)) {
            puts("none");
            return 0;
        }
        size_t *chosen = malloc(writes * sizeof *chosen);
        for (size_t i = 0; i < writes; i++)
            chosen[i] = (size_t)rand_r(&seed) % pages; // a page chosen twice is written once more, without a fault: rare
        double start = seconds();
        for (size_t i = 0; i < writes; i++)
            area[chosen[i] * page + 17] ^= 1;
        per_page[round] = (seconds() - start) / (double)writes * 1e6;
        free(chosen);
    }
    qsort(per_page, 5, sizeof per_page[0], by_value);
    printf("%.2f\n", per_page[2]);
    return 0;
}
