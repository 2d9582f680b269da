/*
 * A librdkafka share consumer (KIP-932) for Brook's share-group tests and benchmark.
 *
 *   shareclient BOOTSTRAP GROUP TOPIC MODE
 *
 * MODE consume: explicit acknowledgement decided by the record value's prefix:
 *   "release:" RELEASE on the first delivery, ACCEPT later; "fail:" always RELEASE;
 *   "reject:" REJECT; anything else ACCEPT. Each batch is committed synchronously.
 *   Prints "MSG <partition> <offset> <deliverycount> <monotonic ms> <value>" on receipt and
 *   "ACK <partition> <offset> <type> <value>" once the broker confirmed the acknowledgement.
 * MODE hold: prints the first batch, then holds it unacknowledged until killed.
 * MODE bench: ACCEPTs everything, printing "COUNT <n>" every 200 ms (no per-record output).
 * MODE latency: RELEASEs each record's first delivery and ACCEPTs later ones, printing
 *   "REL <offset> <ms>" (wall clock just before the release is sent) and "RED <offset> <ms>"
 *   when it comes back: back-off lateness is RED - REL - back-off, an upper bound.
 * MODE produce: GROUP is the record count, TOPIC the topic, next argument the record size;
 *   a plain librdkafka producer (acks=all), printing "PRODUCED <n>" when all are delivered.
 * SIGTERM closes the consumer.
 */
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t run = 1;
static void stop(int sig) { (void)sig; run = 0; }

static long long now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long wall_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long delivered_ok;
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
        (void)rk; (void)opaque;
        if (!m->err) delivered_ok++;
        else fprintf(stderr, "delivery: %s\n", rd_kafka_err2str(m->err));
}

static int produce(const char *bootstrap, long long count, const char *topic, int size) {
        char errstr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr));
        rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof(errstr));
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "producer: %s\n", errstr);
                return 1;
        }
        char *buf = malloc((size_t)size);
        memset(buf, 'x', (size_t)size);
        for (long long i = 0; i < count; i++) {
                while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE(buf, (size_t)size),
                                         RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        rd_kafka_poll(rk, 10);
                rd_kafka_poll(rk, 0);
        }
        rd_kafka_flush(rk, 60000);
        printf("PRODUCED %lld\n", delivered_ok);
        free(buf);
        rd_kafka_destroy(rk);
        return delivered_ok == count ? 0 : 1;
}

static int ack_type(const rd_kafka_message_t *m) {
        const char *v = m->payload ? (const char *)m->payload : "";
        size_t n = m->len;
        if (n >= 8 && !strncmp(v, "release:", 8))
                return rd_kafka_message_delivery_count(m) < 2 ? RD_KAFKA_SHARE_ACKNOWLEDGE_TYPE_RELEASE : RD_KAFKA_SHARE_ACKNOWLEDGE_TYPE_ACCEPT;
        if (n >= 5 && !strncmp(v, "fail:", 5)) return RD_KAFKA_SHARE_ACKNOWLEDGE_TYPE_RELEASE;
        if (n >= 7 && !strncmp(v, "reject:", 7)) return RD_KAFKA_SHARE_ACKNOWLEDGE_TYPE_REJECT;
        return RD_KAFKA_SHARE_ACKNOWLEDGE_TYPE_ACCEPT;
}

int main(int argc, char **argv) {
        char errstr[512];
        if (argc < 5) {
                fprintf(stderr, "usage: %s BOOTSTRAP GROUP TOPIC consume|hold|bench\n", argv[0]);
                return 2;
        }
        const char *mode = argv[4];
        if (!strcmp(mode, "produce")) return produce(argv[1], atoll(argv[2]), argv[3], argc > 5 ? atoi(argv[5]) : 1024);
        int latency = !strcmp(mode, "latency");
        int bench = !strcmp(mode, "bench") || latency, hold = !strcmp(mode, "hold");
        signal(SIGTERM, stop);
        signal(SIGINT, stop);
        setvbuf(stdout, NULL, _IOLBF, 0);

        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], errstr, sizeof(errstr)) ||
            rd_kafka_conf_set(conf, "group.id", argv[2], errstr, sizeof(errstr)) ||
            rd_kafka_conf_set(conf, "share.acknowledgement.mode", "explicit", errstr, sizeof(errstr))) {
                fprintf(stderr, "conf: %s\n", errstr);
                return 1;
        }
        for (int i = 5; i < argc; i++) {
                char *eq = strchr(argv[i], '=');
                if (!eq) continue;
                *eq = 0;
                if (rd_kafka_conf_set(conf, argv[i], eq + 1, errstr, sizeof(errstr))) {
                        fprintf(stderr, "conf %s: %s\n", argv[i], errstr);
                        return 1;
                }
        }
        rd_kafka_share_t *rk = rd_kafka_share_consumer_new(conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "share consumer: %s\n", errstr);
                return 1;
        }
        rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(topics, argv[3], RD_KAFKA_PARTITION_UA);
        rd_kafka_resp_err_t err = rd_kafka_share_subscribe(rk, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        if (err) {
                fprintf(stderr, "subscribe: %s\n", rd_kafka_err2str(err));
                return 1;
        }
        printf("READY\n");
        long long count = 0, last_print = now_ms();
        int held = 0;
        while (run) {
                if (hold && held) {
                        usleep(100000);
                        continue;
                }
                rd_kafka_messages_t *batch = NULL;
                rd_kafka_error_t *error = rd_kafka_share_poll(rk, 200, &batch);
                if (error) {
                        fprintf(stderr, "poll: %s\n", rd_kafka_error_string(error));
                        rd_kafka_error_destroy(error);
                        rd_kafka_messages_destroy(batch);
                        continue;
                }
                size_t n = rd_kafka_messages_count(batch);
                int types[n > 0 ? n : 1];
                for (size_t i = 0; i < n; i++) {
                        rd_kafka_message_t *m = rd_kafka_messages_get(batch, i);
                        types[i] = 0;
                        if (m->err) {
                                fprintf(stderr, "record error: %s\n", rd_kafka_message_errstr(m));
                                continue;
                        }
                        if (!bench)
                                printf("MSG %d %lld %d %lld %.*s\n", m->partition, (long long)m->offset,
                                       (int)rd_kafka_message_delivery_count(m), now_ms(), (int)m->len, (const char *)m->payload);
                        if (hold) continue;
                        types[i] = bench ? RD_KAFKA_SHARE_ACKNOWLEDGE_TYPE_ACCEPT : ack_type(m);
                        if (latency) {
                                int first = rd_kafka_message_delivery_count(m) < 2;
                                types[i] = first ? RD_KAFKA_SHARE_ACKNOWLEDGE_TYPE_RELEASE : RD_KAFKA_SHARE_ACKNOWLEDGE_TYPE_ACCEPT;
                                printf("%s %lld %lld\n", first ? "REL" : "RED", (long long)m->offset, wall_ms());
                        }
                        rd_kafka_share_acknowledge_type(rk, m, types[i]);
                }
                if (hold) {
                        held = n > 0;
                        rd_kafka_messages_destroy(batch);
                        continue;
                }
                if (n > 0 && !bench) {
                        rd_kafka_topic_partition_list_t *res = NULL;
                        rd_kafka_error_t *cerr = rd_kafka_share_commit_sync(rk, 10000, &res);
                        if (cerr) {
                                fprintf(stderr, "commit: %s\n", rd_kafka_error_string(cerr));
                                rd_kafka_error_destroy(cerr);
                        }
                        for (size_t i = 0; i < n; i++) {
                                rd_kafka_message_t *m = rd_kafka_messages_get(batch, i);
                                if (m->err || !types[i]) continue;
                                int ok = cerr == NULL;
                                if (res) {
                                        rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(res, rd_kafka_topic_name(m->rkt), m->partition);
                                        if (p && p->err) ok = 0;
                                }
                                if (ok) printf("ACK %d %lld %d %.*s\n", m->partition, (long long)m->offset, types[i], (int)m->len, (const char *)m->payload);
                        }
                        if (res) rd_kafka_topic_partition_list_destroy(res);
                } else if (n > 0) {
                        count += (long long)n;
                        rd_kafka_share_commit_async(rk);
                }
                rd_kafka_messages_destroy(batch);
                if (bench && now_ms() - last_print >= 200) {
                        printf("COUNT %lld\n", count);
                        last_print = now_ms();
                }
        }
        if (hold) _exit(0);
        if (bench) printf("COUNT %lld\n", count);
        rd_kafka_share_consumer_close(rk);
        rd_kafka_share_destroy(rk);
        return 0;
}
