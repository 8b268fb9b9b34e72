// What the bench's C programs share: a monotonic clock in seconds, and an order for qsort of doubles (for medians).
#ifndef CRIK_BENCH_TIMING_H
#define CRIK_BENCH_TIMING_H
#include <time.h>

static inline double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static inline int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
#endif
