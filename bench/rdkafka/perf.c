/*
 * A small librdkafka load tool for Brook's produce/consume benchmark.
 * Python's per-call overhead would cap a confluent-kafka producer far below the
 * broker's limits, so the bench drives librdkafka from C instead.
 *
 *   perf produce BOOTSTRAP TOPIC COUNT SIZE ACKS RATE [LINGER_MS]
 *     RATE 0 = as fast as possible. LINGER_MS defaults to librdkafka's own
 *     default for throughput runs and to 0 for paced (latency) runs, as a
 *     latency-sensitive user would configure it. Paced runs send PERF_WARMUP_MS
 *     (default 1000) of untimed load first; PERF_LATENCY_FILE=PATH writes each
 *     timed message's send time and latency (us).
 *   perf consume BOOTSTRAP TOPIC COUNT PARTITIONS
 *
 * Prints one JSON line with the figures.
 */
#define _GNU_SOURCE /* ppoll */
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <dirent.h>

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t *latencies;
/* PERF_LATENCY_FILE: when each recorded message was sent (us after the timed start), for finding when slow ones happen */
static int64_t *sent_at;
static int64_t timed_start;
static long delivered;
static long failed;
/* Deliveries of warm-up messages are neither timed nor counted. */
static int recording = 1;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err) {
    failed++;
    return;
  }
  if (!recording) return;
  int64_t sent = (int64_t)(intptr_t)m->_private;
  if (latencies) latencies[delivered] = now_us() - sent;
  if (sent_at) sent_at[delivered] = sent - timed_start;
  delivered++;
}

/*
 * Waits until `due`, serving delivery reports meanwhile; each report is stamped when served. A busy wait would
 * keep a whole core spinning, and on a 2-core machine it would take that core from the broker whose latency is
 * being measured.
 *
 * At high rates the tool sleeps in nanosleep and serves reports before each message (the interval, 20 us at
 * 50,000 msgs/s, bounds how late a report is stamped). At rates up to 10,000 msgs/s that bound would be the
 * whole interval (a 1,000 msgs/s run read a p50 of exactly 1 ms), so there reports wake the tool through a pipe
 * (rd_kafka_queue_io_event_enable) and it sleeps in ppoll until the next message is due or a report waits. Not
 * at high rates: a wake-up per report costs the 2-core machine more than the stamping error it removes.
 */
static int report_fd = -1;

static void serve_reports(rd_kafka_t *rk) {
  char drain[64];
  if (report_fd >= 0)
    while (read(report_fd, drain, sizeof drain) > 0) {
    }
  rd_kafka_poll(rk, 0);
}

static void pace_until(rd_kafka_t *rk, int64_t due) {
  for (;;) {
    serve_reports(rk);
    int64_t left = due - now_us();
    if (left <= 0) return;
    if (report_fd >= 0) {
      struct pollfd pfd = {report_fd, POLLIN, 0};
      struct timespec ts = {(time_t)(left / 1000000), (long)(left % 1000000) * 1000};
      ppoll(&pfd, 1, &ts, NULL);
    } else if (left >= 2000) {
      rd_kafka_poll(rk, (int)(left / 1000) - 1); /* blocks, but wakes for each delivery report */
    } else {
      struct timespec ts = {0, (long)left * 1000};
      nanosleep(&ts, NULL);
    }
  }
}

/* Routes delivery-report wake-ups of `rk`'s main queue to a non-blocking pipe read by pace_until. */
static void watch_reports(rd_kafka_t *rk) {
  int fds[2];
  if (pipe(fds) != 0) {
    perror("pipe");
    exit(2);
  }
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  fcntl(fds[1], F_SETFL, O_NONBLOCK);
  report_fd = fds[0];
  rd_kafka_queue_t *main_queue = rd_kafka_queue_get_main(rk);
  rd_kafka_queue_io_event_enable(main_queue, fds[1], "r", 1);
  rd_kafka_queue_destroy(main_queue);
}

/*
 * CPU of the tool's own threads over the timed part, from /proc/self/task: librdkafka serves every partition of a
 * broker from that broker's one thread ("rdk:broker<id>"), so over many partitions that thread, not the process,
 * can be what caps the rate. Linux only; zero elsewhere.
 */
#define MAX_THREADS 64
struct thread_cpu {
  int tid;
  char name[32];
  long ticks;
};

static int read_threads(struct thread_cpu *out) {
  int n = 0;
  DIR *d = opendir("/proc/self/task");
  if (!d) return 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < MAX_THREADS) {
    if (e->d_name[0] == '.') continue;
    char path[300], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    char *open = strchr(buf, '('), *close = strrchr(buf, ')');
    if (!open || !close) continue;
    struct thread_cpu *t = &out[n++];
    t->tid = atoi(e->d_name);
    snprintf(t->name, sizeof t->name, "%.*s", (int)(close - open - 1), open + 1);
    /* after ") ": state(3) ... utime(14) stime(15) */
    long utime = 0, stime = 0;
    char *p = close + 2;
    for (int field = 3; field <= 15 && p; field++) {
      if (field == 14) utime = atol(p);
      if (field == 15) stime = atol(p);
      p = strchr(p, ' ');
      if (p) p++;
    }
    t->ticks = utime + stime;
  }
  closedir(d);
  return n;
}

/* Prints ,"mainThreadCpuS":..,"busiestBrokerThread":"..","busiestBrokerThreadCpuS":.. for the span since `before`. */
static void print_thread_cpu(const struct thread_cpu *before, int nbefore) {
  struct thread_cpu now[MAX_THREADS];
  int n = read_threads(now);
  double hz = (double)sysconf(_SC_CLK_TCK), main_s = 0, busiest_s = 0;
  const char *busiest = "";
  for (int i = 0; i < n; i++) {
    long ticks = now[i].ticks;
    for (int j = 0; j < nbefore; j++)
      if (before[j].tid == now[i].tid) ticks -= before[j].ticks;
    double s = ticks / hz;
    if (now[i].tid == getpid()) main_s = s;
    else if (strncmp(now[i].name, "rdk:broker", 10) == 0 && s > busiest_s) {
      busiest_s = s;
      busiest = now[i].name;
    }
  }
  printf(",\"mainThreadCpuS\":%.2f,\"busiestBrokerThread\":\"%s\",\"busiestBrokerThreadCpuS\":%.2f", main_s, busiest, busiest_s);
}

static int cmp64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
  char err[512];
  if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "%s: %s\n", k, err);
    exit(2);
  }
}

static void conf_value(rd_kafka_conf_t *conf, const char *k, char *out, size_t len) {
  if (rd_kafka_conf_get(conf, k, out, &len) != RD_KAFKA_CONF_OK) snprintf(out, len, "?");
}

static int produce(const char *bootstrap, const char *topic, long count, int size, const char *acks, long rate,
                   const char *linger) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", bootstrap);
  set(conf, "acks", acks);
  set(conf, "queue.buffering.max.messages", "1000000");
  set(conf, "queue.buffering.max.kbytes", "1048576");
  if (linger) set(conf, "linger.ms", linger);
  else if (rate > 0) set(conf, "linger.ms", "0");
  char linger_ms[32], batch_msgs[32], batch_bytes[32];
  conf_value(conf, "linger.ms", linger_ms, sizeof linger_ms);
  conf_value(conf, "batch.num.messages", batch_msgs, sizeof batch_msgs);
  conf_value(conf, "batch.size", batch_bytes, sizeof batch_bytes);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    fprintf(stderr, "%s\n", err);
    return 2;
  }
  if (rate > 0 && rate <= 10000) watch_reports(rk);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  char *payload = malloc(size);
  for (int i = 0; i < size; i++) payload[i] = 'a' + (i * 7 + i / 13) % 26;
  latencies = rate > 0 ? calloc(count, sizeof(int64_t)) : NULL;
  /* PERF_KEYED=1: every message gets a distinct key "k<i>" (key-index bench) */
  const int keyed = getenv("PERF_KEYED") != NULL;
  /* PERF_TAGGED=1: every message gets a brook-tag header, one of 8 tags (tag-index bench) */
  const int tagged = getenv("PERF_TAGGED") != NULL;
  static const char *const tags[8] = {"paid", "new", "refunded", "shipped", "cancelled", "returned", "held", "billed"};
  char key[32];
  size_t key_len = 0;

  /*
   * Paced (latency) runs first send PERF_WARMUP_MS (default 1000) of the same load untimed and wait for it: the
   * first messages otherwise wait for the client's connection and metadata and the broker's JIT, and in a 3 s run
   * those few tens of milliseconds are the whole p99. Latency benchmarks (OpenMessaging's warm-up phase) do the same.
   */
  long warmup = 0;
  if (rate > 0) {
    const char *w = getenv("PERF_WARMUP_MS");
    warmup = (long)((double)rate * (w ? atol(w) : 1000) / 1000.0);
  }
  if (warmup > 0) {
    recording = 0;
    int64_t ws = now_us();
    for (long i = 0; i < warmup; i++) {
      pace_until(rk, ws + (int64_t)((double)i * 1e6 / (double)rate));
      while (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, payload, size, NULL, 0, NULL) == -1)
        rd_kafka_poll(rk, 1);
    }
    rd_kafka_flush(rk, 30000);
    recording = 1;
  }
  if (getenv("PERF_LATENCY_FILE") && latencies) sent_at = calloc(count, sizeof(int64_t));

  struct thread_cpu threads_before[MAX_THREADS];
  int nthreads_before = read_threads(threads_before);
  int64_t start = now_us();
  timed_start = start;
  for (long i = 0; i < count; i++) {
    if (rate > 0) {
      int64_t due = start + (int64_t)((double)i * 1e6 / (double)rate);
      pace_until(rk, due);
    }
    int64_t t = now_us();
    if (keyed) key_len = (size_t)snprintf(key, sizeof key, "k%ld", i);
    if (tagged) {
      while (rd_kafka_producev(rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(payload, size),
                               RD_KAFKA_V_KEY(keyed ? key : NULL, key_len), RD_KAFKA_V_HEADER("brook-tag", tags[i % 8], -1),
                               RD_KAFKA_V_OPAQUE((void *)(intptr_t)t), RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk, 1);
      }
    } else {
      while (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, payload, size, keyed ? key : NULL, key_len,
                              (void *)(intptr_t)t) == -1) {
        rd_kafka_poll(rk, 1); /* queue full: let deliveries drain */
      }
    }
    if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
  }
  while (rd_kafka_outq_len(rk) > 0) rd_kafka_poll(rk, 10);
  int64_t elapsed = now_us() - start;

  double secs = elapsed / 1e6;
  printf("{\"mode\":\"produce\",\"messages\":%ld,\"failed\":%ld,\"size\":%d,\"seconds\":%.3f,\"msgsPerSec\":%.0f,"
         "\"mbPerSec\":%.1f,\"lingerMs\":\"%s\",\"batchNumMessages\":\"%s\",\"batchSize\":\"%s\",\"warmupMessages\":%ld",
         delivered, failed, size, secs, delivered / secs, delivered * (double)size / secs / 1e6, linger_ms, batch_msgs,
         batch_bytes, warmup);
  print_thread_cpu(threads_before, nthreads_before);
  if (sent_at) {
    FILE *f = fopen(getenv("PERF_LATENCY_FILE"), "w");
    for (long j = 0; f && j < delivered; j++) fprintf(f, "%ld %ld\n", (long)sent_at[j], (long)latencies[j]);
    if (f) fclose(f);
  }
  if (latencies && delivered > 0) {
    qsort(latencies, delivered, sizeof(int64_t), cmp64);
    printf(",\"p50Ms\":%.3f,\"p99Ms\":%.3f,\"p999Ms\":%.3f,\"maxMs\":%.3f", latencies[delivered / 2] / 1e3,
           latencies[(long)(delivered * 0.99)] / 1e3, latencies[(long)(delivered * 0.999)] / 1e3, latencies[delivered - 1] / 1e3);
  }
  printf("}\n");
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return failed ? 1 : 0;
}

static int consume(const char *bootstrap, const char *topic, long count, int partitions) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", bootstrap);
  set(conf, "group.id", "brook-bench");
  set(conf, "enable.auto.commit", "false");
  set(conf, "fetch.max.bytes", "52428800");
  set(conf, "queued.max.messages.kbytes", "262144");
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) {
    fprintf(stderr, "%s\n", err);
    return 2;
  }
  rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; p++)
    rd_kafka_topic_partition_list_add(list, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);

  long got = 0;
  double bytes = 0;
  int64_t start = 0;
  int64_t deadline = now_us() + 120 * 1000000LL;
  /* Batch consumption keeps librdkafka's per-message hand-off cost (one queue
   * op per message with consumer_poll) from capping what the bench can read. */
  rd_kafka_queue_t *queue = rd_kafka_queue_get_consumer(rk);
  rd_kafka_message_t *batch[4096];
  while (got < count && now_us() < deadline) {
    ssize_t n = rd_kafka_consume_batch_queue(queue, 100, batch, 4096);
    for (ssize_t i = 0; i < n; i++) {
      rd_kafka_message_t *m = batch[i];
      if (!m->err) {
        if (got == 0) start = now_us();
        got++;
        bytes += m->len;
      }
      rd_kafka_message_destroy(m);
    }
  }
  rd_kafka_queue_destroy(queue);
  double secs = (now_us() - start) / 1e6;
  printf("{\"mode\":\"consume\",\"messages\":%ld,\"seconds\":%.3f,\"msgsPerSec\":%.0f,\"mbPerSec\":%.1f}\n", got, secs,
         got / secs, bytes / secs / 1e6);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return got < count ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc >= 8 && strcmp(argv[1], "produce") == 0)
    return produce(argv[2], argv[3], atol(argv[4]), atoi(argv[5]), argv[6], atol(argv[7]), argc >= 9 ? argv[8] : NULL);
  if (argc >= 6 && strcmp(argv[1], "consume") == 0) return consume(argv[2], argv[3], atol(argv[4]), atoi(argv[5]));
  fprintf(stderr, "usage: perf produce BOOTSTRAP TOPIC COUNT SIZE ACKS RATE [LINGER_MS] | perf consume BOOTSTRAP TOPIC COUNT PARTITIONS\n");
  return 2;
}
