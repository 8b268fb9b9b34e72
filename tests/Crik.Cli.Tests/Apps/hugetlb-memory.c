// An app with a private and a shared MAP_HUGETLB mapping, filled with a pattern, in one process and
// across a fork. Every 0.1 s the parent prints "count N" and writes N into the shared mapping's first
// bytes; each process prints the digests of both mappings (past those first bytes, which stay the
// pattern) and the child prints the N it sees, which keeps going up only while the mapping is shared.
// Usage: hugetlb-memory HUGE_PAGES_PER_MAPPING
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE_PAGE (2UL << 20)
#define HEADER 4096UL

static uint64_t digest(const unsigned char *from, size_t length)
{
    uint64_t hash = 1469598103934665603ULL;
    for (size_t i = 0; i < length; i++) {
        hash = (hash ^ from[i]) * 1099511628211ULL;
    }
    return hash;
}

static unsigned char *map(size_t length, int sharing)
{
    void *area = mmap(NULL, length, PROT_READ | PROT_WRITE, sharing | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
    if (area == MAP_FAILED) {
        perror(sharing == MAP_SHARED ? "mmap shared MAP_HUGETLB" : "mmap private MAP_HUGETLB");
        exit(2);
    }
    return area;
}

static void fill(unsigned char *area, size_t length, unsigned seed)
{
    for (size_t i = 0; i < length; i++) {
        area[i] = (unsigned char)((i * 31 + seed) ^ (i >> 12));
    }
}

int main(int argc, char **argv)
{
    size_t length = (argc > 1 ? strtoul(argv[1], NULL, 10) : 2) * HUGE_PAGE;
    unsigned char *private_area = map(length, MAP_PRIVATE);
    unsigned char *shared_area = map(length, MAP_SHARED);
    fill(private_area, length, 7);
    fill(shared_area, length, 11);
    volatile uint64_t *seen = (volatile uint64_t *)shared_area;
    *seen = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("allocated %zu\n", length);
    pid_t child = fork();
    const char *who = child == 0 ? "child" : "parent";
    for (uint64_t count = 1;; count++) {
        if (child != 0) {
            *seen = count;
            printf("count %llu\n", (unsigned long long)count);
        } else {
            printf("seen %llu\n", (unsigned long long)*seen);
        }
        printf("%s private %016llx shared %016llx\n", who, (unsigned long long)digest(private_area, length),
            (unsigned long long)digest(shared_area + HEADER, length - HEADER));
        usleep(100000);
    }
}
