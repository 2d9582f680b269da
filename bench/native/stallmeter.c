/*
 * The stall meter's process (bench/stallMeter.ts): sleeps INTERVAL_MS at a time and prints one JSON line per
 * wake-up more than LATE_MS late, with how much of the delay the thread spent runnable but waiting for a CPU
 * (the second field of its schedstat). In C because a Node timer loop waking 500 times a second used 4-10 % of
 * a core per meter on the 2-core machine, taken from the benchmark it was there to watch.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define INTERVAL_MS 2
#define LATE_MS 5

static int schedstat = -1;

/* ns spent runnable, waiting for a CPU, or -1 when schedstat cannot be read */
static long long waited_ns(void) {
        char buf[96];
        ssize_t n;
        long long v = 0;
        int i = 0;
        if (schedstat < 0) return -1;
        n = pread(schedstat, buf, sizeof buf, 0);
        if (n <= 0) return -1;
        while (i < n && buf[i] != ' ') i++;
        for (i++; i < n && buf[i] >= '0' && buf[i] <= '9'; i++) v = v * 10 + (buf[i] - '0');
        return v;
}

static double now_ms(int clock) {
        struct timespec t;
        clock_gettime(clock, &t);
        return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(void) {
        char path[64];
        struct timespec interval = {0, INTERVAL_MS * 1000000L};
        double last;
        long long last_wait;
        snprintf(path, sizeof path, "/proc/self/task/%ld/schedstat", (long)syscall(SYS_gettid));
        schedstat = open(path, O_RDONLY);
        last = now_ms(CLOCK_MONOTONIC);
        last_wait = waited_ns();
        for (;;) {
                double now, late;
                long long w;
                nanosleep(&interval, NULL);
                now = now_ms(CLOCK_MONOTONIC);
                late = now - last - INTERVAL_MS;
                w = waited_ns();
                if (late > LATE_MS) {
                        printf("{\"t\":%.0f,\"lateMs\":%.3f,\"runQueueMs\":%.3f}\n", now_ms(CLOCK_REALTIME), late,
                               w >= 0 && last_wait >= 0 ? (w - last_wait) / 1e6 : -1.0);
                        if (fflush(stdout) != 0) return 0; /* the bench went away */
                }
                last = now;
                last_wait = w;
        }
}
