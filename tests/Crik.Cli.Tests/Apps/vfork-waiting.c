// Says "ready" once it waits in vfork for a child that waits, before its exec, for a line on stdin; then the
// child execs `sleep 1000` and the parent pauses. With "thread", a second thread sleeps in pause() meanwhile.
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void *sleeper(void *unused)
{
    (void)unused;
    for (;;)
        pause();
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t thread;
    if (argc > 1 && strcmp(argv[1], "thread") == 0 && pthread_create(&thread, NULL, sleeper, NULL) != 0)
        return 1;
    printf("ready\n");
    fflush(stdout);
    pid_t child = vfork();
    if (child == 0) {
        char byte;
        if (read(0, &byte, 1) == 1)
            execl("/bin/sleep", "sleep", "1000", (char *)NULL);
        _exit(127);
    }
    if (child < 0)
        return 1;
    printf("on\n");
    fflush(stdout);
    for (;;)
        pause();
}
