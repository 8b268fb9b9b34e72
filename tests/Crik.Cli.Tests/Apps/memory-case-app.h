// The frame of the memory-case apps (memory-cases.c, memory-access-cases.c): the bytes an area holds, computed from
// where they are (memory-cases.c passes a seed of its own as the area, for areas that move or are new), and the loop
// that counts, notices a restore and checks every byte when asked.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
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

// When the kernel made this process (field 22 of /proc/self/stat): CRIU's restore makes it anew with the same PID, so
// a change means a restore, however soon after its checkpoint it came. A forked child, with a PID of its own, starts over.
static int process_started(long *pid, unsigned long long *started)
{
    char stat[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f)
        return 0;
    size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = '\0';
    char *after_name = strrchr(stat, ')');
    if (!after_name)
        return 0;
    char *field = after_name + 2; // field 3, the state
    for (int skipped = 3; skipped < 22 && field; skipped++)
        if ((field = strchr(field, ' ')))
            field++;
    *pid = getpid();
    return field && sscanf(field, "%llu", started) == 1;
}

// Whether this process was restored since it last asked.
static int restored_since_asked(void)
{
    static long pid;
    static unsigned long long started;
    long now_pid;
    unsigned long long now_started;
    if (!process_started(&now_pid, &now_started))
        return 0;
    int restored = pid == now_pid && started != 0 && started != now_started;
    pid = now_pid;
    started = now_started;
    return restored;
}

static volatile sig_atomic_t intact_asked;

static void on_usr1(int signo) { (void)signo; intact_asked = 1; }

// Says "count N" every 0.1 s, for ever. When the app was restored, it calls changed with the restores so far and says "changed N"; on SIGUSR1 it says "intact yes|no" from intact.
static void count_and_act(void (*changed)(int restores), int (*intact)(void))
{
    signal(SIGUSR1, on_usr1);
    int restores = 0;
    restored_since_asked();
    for (long count = 0;; count++) {
        if (restored_since_asked()) {
            restores++;
            changed(restores);
            printf("changed %d\n", restores);
        }
        if (intact_asked) {
            intact_asked = 0;
            printf("intact %s\n", yes(intact()));
        }
        printf("count %ld\n", count);
        usleep(100000);
    }
}
