// The machine's cost of a first touch of an anonymous page: the kernel's page fault, zeroing and mapping,
// which every restore pays for each page it fills. Maps 512 MiB, writes one byte per page, five times over
// fresh mappings, and prints the median in microseconds per page. A VM whose host has not yet backed its
// memory pays 10 to 30 us; one whose memory is backed, about 2 us.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "timing.h"

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 512;
    size_t page = (size_t)sysconf(_SC_PAGESIZE), bytes = mib << 20;
    double per_page[5];
    for (int round = 0; round < 5; round++) {
        volatile char *area = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (area == MAP_FAILED) {
            perror("mmap");
            return 1;
        }
        double start = seconds();
        for (size_t at = 0; at < bytes; at += page)
            area[at] = 1;
        per_page[round] = (seconds() - start) / (double)(bytes / page) * 1e6;
        munmap((void *)area, bytes);
    }
    qsort(per_page, 5, sizeof per_page[0], by_value);
    printf("%.2f\n", per_page[2]);
    return 0;
}
