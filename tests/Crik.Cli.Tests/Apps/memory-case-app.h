// The frame of the memory-case apps (memory-cases.c, memory-access-cases.c): the bytes an area holds, computed from
// where they are (memory-cases.c passes a seed of its own as the area, for areas that move or are new), and the loop
// that counts, notices a restore and checks every byte when asked.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

// The word at index word of area area, as the app wrote it before any checkpoint.
static uint64_t expected(int area, size_t word)
{
    uint64_t z = ((uint64_t)(area + 1) << 48) ^ word;
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static const char *yes(int ok) { return ok ? "yes" : "no"; }

static double wall_clock(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static volatile sig_atomic_t intact_asked;

static void on_usr1(int signo) { (void)signo; intact_asked = 1; }

// Says "count N" every 0.1 s, for ever. When the wall clock jumps by more than 1 s (the app was checkpointed and
// restored), it calls changed with the restores so far and says "changed N"; on SIGUSR1 it says "intact yes|no" from intact.
static void count_and_act(void (*changed)(int restores), int (*intact)(void))
{
    signal(SIGUSR1, on_usr1);
    int restores = 0;
    double last = wall_clock();
    for (long count = 0;; count++) {
        double t = wall_clock();
        if (t - last > 1.0) {
            restores++;
            changed(restores);
            printf("changed %d\n", restores);
            t = wall_clock();
        }
        last = t;
        if (intact_asked) {
            intact_asked = 0;
            printf("intact %s\n", yes(intact()));
            last = wall_clock();
        }
        printf("count %ld\n", count);
        usleep(100000);
    }
}
