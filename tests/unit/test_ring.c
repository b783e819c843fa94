/* test_ring — the shared-memory ring of runtime/transport
 * (vkw_transport_ring.c) between two ends of a real unix connection.
 *
 * Covered: messages of 0 bytes to 3 MiB both ways through a 4 KiB ring
 * (wrapping, and streamed while the other end reads), a message received
 * in parts, fds beside a ring message, 20,000 ping-pongs with spinning off
 * (every wait sleeps: a lost wakeup hangs, and alarm() fails the run),
 * the peer's end at a message boundary (-EPIPE) and inside one
 * (-ECONNRESET), and that a waiting end sleeps: its thread's CPU time over
 * a second of waiting, between messages and in the middle of one, is
 * (almost) nothing.
 *
 * A hostile guest (the test writes the shared memory itself): a tail more
 * than a ring ahead, a tail behind the head (-EBADMSG), a frame over the
 * size limit (-EMSGSIZE), a frame announcing 17 fds (-EPROTO); and offers
 * the host refuses, closing every descriptor: an unsealed memfd, a memfd
 * of the wrong size, a pipe for an eventfd, a size that is no power of two;
 * and 300 rings of random bytes and counters, each of which must end in a
 * message or an error code, never a stray read (ASan) or a hang.
 */
#define _GNU_SOURCE /* mkdtemp, memfd_create, pthread_getcpuclockid */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "vkw_transport.h"

#define RING 4096u
#define MiB ((size_t)1 << 20)

static char g_tmp[64], g_addr[128];
static struct vkw_listener *g_listener;

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* A connected pair: guest (connected) and host (accepted). */
static void pair(struct vkw_conn **guest, struct vkw_conn **host)
{
    char err[256];
    if (vkw_transport_connect(g_addr, guest, err, sizeof err) != 0 ||
        vkw_listener_accept(g_listener, host, err, sizeof err) != 0)
        BAIL_OUT("connect: %s", err);
}

static int dup_all(const int *in, int *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((out[i] = fcntl(in[i], F_DUPFD_CLOEXEC, 0)) < 0)
            return -1;
    return 0;
}

/* A pair on a ring of `bytes` (the fds are dup'ed as SCM_RIGHTS would). */
static void ring_pair(struct vkw_conn **guest, struct vkw_conn **host, uint32_t bytes)
{
    int fds[VKW_RING_FDS], copies[VKW_RING_FDS];
    char err[256];
    pair(guest, host);
    if (vkw_conn_ring_create(*guest, bytes, fds, err, sizeof err) != 0 ||
        dup_all(fds, copies, VKW_RING_FDS) != 0 ||
        vkw_conn_ring_attach(*host, copies, VKW_RING_FDS, bytes, err, sizeof err) != 0 ||
        vkw_conn_ring_start(*guest) != 0 || vkw_conn_ring_start(*host) != 0)
        BAIL_OUT("ring: %s", err);
}

static unsigned char *payload(size_t n, unsigned seed)
{
    unsigned char *p = malloc(n ? n : 1);
    if (!p)
        BAIL_OUT("out of memory");
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 13u + seed + (i >> 11));
    return p;
}

static uint64_t thread_cpu_ns(pthread_t t)
{
    clockid_t id;
    struct timespec ts;
    if (pthread_getcpuclockid(t, &id) != 0 || clock_gettime(id, &ts) != 0)
        return UINT64_MAX;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- a receiving thread ---- */

struct receiver {
    struct vkw_conn *c;
    size_t expect;
    unsigned seed;
    int rc;
    bool same;
    int fd; /* the fd that came with the message, or -1 */
    atomic_bool started;
};

static void *receive_one(void *arg)
{
    struct receiver *r = arg;
    const void *data;
    size_t size, nfds = 0;
    int fds[VKW_TRANSPORT_MAX_FDS];
    atomic_store(&r->started, true);
    r->rc = vkw_conn_recv(r->c, &data, &size, 64 * MiB, fds, &nfds);
    r->fd = nfds == 1 ? fds[0] : -1;
    if (r->rc == 0) {
        unsigned char *want = payload(r->expect, r->seed);
        r->same = size == r->expect && memcmp(data, want, size) == 0;
        free(want);
    }
    return NULL;
}

/* Send `n` bytes from `from` while a thread receives them on `to`. */
static bool through(struct vkw_conn *from, struct vkw_conn *to, size_t n, unsigned seed)
{
    struct receiver r = {.c = to, .expect = n, .seed = seed, .fd = -1};
    pthread_t t;
    pthread_create(&t, NULL, receive_one, &r);
    unsigned char *p = payload(n, seed);
    int rc = vkw_conn_send(from, p, n, NULL, 0);
    pthread_join(t, NULL);
    free(p);
    return rc == 0 && r.rc == 0 && r.same;
}

static void test_messages(void)
{
    struct vkw_conn *g, *h;
    ring_pair(&g, &h, RING);
    ok(vkw_conn_ring_active(g) && vkw_conn_ring_active(h), "both ends use the ring");
    static const size_t sizes[] = {0, 1, 3, 100, RING - 8, RING - 7, RING, RING + 1, 3 * RING + 5,
                                   3 * MiB};
    bool all = true;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        all &= through(g, h, sizes[i], (unsigned)i) && through(h, g, sizes[i], (unsigned)i + 50);
    ok(all, "0 B to 3 MiB, both ways, through a 4 KiB ring");

    /* In parts, across the wrap: on a fresh ring, 2508 bytes first, so
     * the next message runs past the end of the area. */
    vkw_conn_close(g);
    vkw_conn_close(h);
    ring_pair(&g, &h, RING);
    unsigned char *p = payload(3000, 9), got[3000];
    bool parts = false;
    const void *d;
    size_t size = 0;
    struct vkw_piece pieces[2] = {{p, 1200}, {p + 1200, 1800}};
    if (vkw_conn_send(g, p, 2500, NULL, 0) == 0 &&
        vkw_conn_recv(h, &d, &size, MiB, NULL, NULL) == 0 &&
        vkw_conn_sendv(g, pieces, 2, NULL, 0) == 0 &&
        vkw_conn_recv_begin(h, &size, MiB, NULL, NULL) == 0 && size == 3000 &&
        vkw_conn_recv_part(h, got, 16) == 0 && vkw_conn_recv_part(h, NULL, 1500) == 0 &&
        vkw_conn_recv_part(h, got + 1516, 1484) == 0 && vkw_conn_recv_left(h) == 0)
        parts = memcmp(got, p, 16) == 0 && memcmp(got + 1516, p + 1516, 1484) == 0;
    ok(parts, "a message of two pieces, received in three parts across the wrap");
    free(p);

    /* fds beside a ring message. */
    int pipefd[2];
    bool fd_ok = false;
    if (pipe(pipefd) == 0) {
        struct receiver r = {.c = h, .expect = 40, .seed = 3, .fd = -1};
        pthread_t t;
        pthread_create(&t, NULL, receive_one, &r);
        unsigned char *q = payload(40, 3);
        int rc = vkw_conn_send(g, q, 40, &pipefd[1], 1);
        pthread_join(t, NULL);
        free(q);
        char c = 0;
        fd_ok = rc == 0 && r.rc == 0 && r.same && r.fd >= 0 && write(r.fd, "x", 1) == 1 &&
                read(pipefd[0], &c, 1) == 1 && c == 'x';
        if (r.fd >= 0)
            close(r.fd);
        close(pipefd[0]);
        close(pipefd[1]);
    }
    ok(fd_ok, "an fd sent with a ring message comes with it, on the socket");

    /* The end between messages, then inside one. */
    vkw_conn_close(g);
    is_int(vkw_conn_recv(h, &d, &size, MiB, NULL, NULL), -EPIPE,
           "the guest's end between messages");
    vkw_conn_close(h);

    ring_pair(&g, &h, RING);
    unsigned char *big = payload(2 * RING, 1);
    vkw_conn_close(h); /* the host is gone; the guest fills the ring, then waits for room */
    int rc = vkw_conn_send(g, big, 2 * RING, NULL, 0);
    ok(rc == -EPIPE || rc == -ECONNRESET, "sending more than the ring holds to a host that left: %d",
       rc);
    free(big);
    vkw_conn_close(g);
}

/* ---- ping-pong with every wait asleep ---- */

static void *echo(void *arg)
{
    struct vkw_conn *h = arg;
    const void *d;
    size_t s;
    while (vkw_conn_recv(h, &d, &s, MiB, NULL, NULL) == 0)
        if (vkw_conn_send(h, d, s, NULL, 0) != 0)
            break;
    return NULL;
}

static void test_ping_pong(void)
{
    struct vkw_conn *g, *h;
    ring_pair(&g, &h, RING);
    vkw_conn_set_spin(g, 0);
    vkw_conn_set_spin(h, 0);
    pthread_t t;
    pthread_create(&t, NULL, echo, h);
    bool all = true;
    for (uint32_t i = 0; i < 20000 && all; i++) {
        uint32_t v = i, back = 0;
        const void *d;
        size_t s;
        all = vkw_conn_send(g, &v, sizeof v, NULL, 0) == 0 &&
              vkw_conn_recv(g, &d, &s, MiB, NULL, NULL) == 0 && s == 4;
        if (all)
            memcpy(&back, d, 4), all = back == i;
    }
    ok(all, "20,000 ping-pongs with spinning off: no wakeup lost");
    vkw_conn_close(g);
    pthread_join(t, NULL);
    vkw_conn_close(h);
}

/* ---- sleeping ---- */

struct waiter {
    struct vkw_conn *c;
    int rc;
    size_t size;
    atomic_bool started;
};

static void *wait_and_receive(void *arg)
{
    struct waiter *w = arg;
    const void *d;
    atomic_store(&w->started, true);
    w->rc = vkw_conn_wait(w->c, -1);
    if (w->rc == 1)
        w->rc = vkw_conn_recv(w->c, &d, &w->size, MiB, NULL, NULL);
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void test_idle(void)
{
    struct vkw_conn *g, *h;
    ring_pair(&g, &h, RING);
    vkw_conn_set_spin(h, 50000); /* the default spin, 50 us */
    struct waiter w = {.c = h};
    pthread_t t;
    pthread_create(&t, NULL, wait_and_receive, &w);
    while (!atomic_load(&w.started))
        sched_yield();
    sleep_ms(100); /* past the spin */
    uint64_t before = thread_cpu_ns(t);
    sleep_ms(1000);
    uint64_t used = thread_cpu_ns(t) - before;
    ok(used < 20000000ull, "a host waiting a second for a message used %llu us of CPU",
       (unsigned long long)(used / 1000));

    unsigned char *p = payload(100, 4);
    int rc = vkw_conn_send(g, p, 100, NULL, 0);
    pthread_join(t, NULL);
    ok(rc == 0 && w.rc == 0 && w.size == 100, "and woke for the message (kicked)");
    free(p);
    vkw_conn_close(g);
    vkw_conn_close(h);
}

/* ---- a hostile guest writing the ring itself ---- */

struct raw {
    struct vkw_conn *sock, *host;
    unsigned char *map;
    int kick_host, kick_guest;
};

static _Atomic uint32_t *raw_word(struct raw *r, unsigned off)
{
    return (_Atomic uint32_t *)(void *)(r->map + off);
}

/* Offer a hand-made ring; `how`: 0 proper, 1 unsealed, 2 a size off by a
 * page, 3 a pipe for the host's eventfd, 4 a ring size of 5000. */
static int raw_offer(struct raw *r, int how)
{
    char err[256];
    pair(&r->sock, &r->host);
    const uint32_t bytes = how == 4 ? 5000u : RING;
    size_t len = VKW_RING_OFF_DATA + 2 * (size_t)RING + (how == 2 ? 4096 : 0);
    int memfd = memfd_create("test-ring", MFD_CLOEXEC | (how == 1 ? 0 : MFD_ALLOW_SEALING));
    if (memfd < 0 || ftruncate(memfd, (off_t)len) != 0 ||
        (how != 1 && fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0))
        BAIL_OUT("memfd");
    r->map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
    r->kick_host = eventfd(0, EFD_CLOEXEC);
    r->kick_guest = eventfd(0, EFD_CLOEXEC);
    int pipefd[2] = {-1, -1};
    if (how == 3 && pipe(pipefd) != 0)
        BAIL_OUT("pipe");
    const int offered[3] = {memfd, how == 3 ? pipefd[0] : r->kick_host, r->kick_guest};
    int copies[3];
    dup_all(offered, copies, 3);
    close(memfd);
    if (pipefd[0] >= 0)
        close(pipefd[0]), close(pipefd[1]);
    int rc = vkw_conn_ring_attach(r->host, copies, 3, bytes, err, sizeof err);
    if (rc == 0)
        vkw_conn_ring_start(r->host);
    else
        diag("refused as it should be: %s", err);
    return rc;
}

static void raw_close(struct raw *r)
{
    /* r->sock may already be closed (NULL): vkw_conn_close ignores it. */
    munmap(r->map, VKW_RING_OFF_DATA + 2 * (size_t)RING);
    close(r->kick_host);
    close(r->kick_guest);
    vkw_conn_close(r->sock);
    vkw_conn_close(r->host);
}

static void raw_kick(struct raw *r)
{
    uint64_t one = 1;
    if (write(r->kick_host, &one, 8) != 8)
        BAIL_OUT("kick");
}

/* Write a frame (count, fds) and `n` bytes at the guest's tail, publish
 * `publish` of them (frame included). */
static void raw_put(struct raw *r, uint32_t count, uint32_t nfds, size_t n, size_t publish)
{
    uint32_t tail = atomic_load(raw_word(r, VKW_RING_OFF_G2H_TAIL));
    unsigned char *data = r->map + VKW_RING_OFF_DATA;
    uint32_t frame[2] = {count, nfds};
    for (size_t i = 0; i < 8 + n; i++)
        data[(tail + i) % RING] = i < 8 ? ((unsigned char *)frame)[i] : (unsigned char)i;
    atomic_store(raw_word(r, VKW_RING_OFF_G2H_TAIL), tail + (uint32_t)publish);
    raw_kick(r);
}

static int host_recv(struct raw *r, size_t max)
{
    const void *d;
    size_t s, nfds = 0;
    int fds[VKW_TRANSPORT_MAX_FDS];
    int rc = vkw_conn_recv(r->host, &d, &s, max, fds, &nfds);
    for (size_t i = 0; i < nfds; i++)
        close(fds[i]);
    return rc;
}

static void test_hostile(void)
{
    struct raw r;
    const int fds_before = count_fds();
    for (int how = 1; how <= 4; how++) {
        int rc = raw_offer(&r, how);
        static const char *const what[] = {"", "an unsealed memfd", "a memfd of the wrong size",
                                           "a pipe for an eventfd", "a ring of 5000 bytes"};
        ok(rc == -EINVAL && !vkw_conn_ring_active(r.host), "refused: %s", what[how]);
        raw_close(&r);
    }
    is_int(count_fds(), fds_before, "a refused offer leaves no descriptor open");

    ok(raw_offer(&r, 0) == 0, "a hand-made ring is taken");
    raw_put(&r, 12, 0, 12, 20);
    is_int(host_recv(&r, MiB), 0, "a proper message through it");
    atomic_fetch_add(raw_word(&r, VKW_RING_OFF_G2H_TAIL), RING + 1);
    raw_kick(&r);
    is_int(host_recv(&r, MiB), -EBADMSG, "a tail more than a ring ahead: -EBADMSG");
    raw_close(&r);

    raw_offer(&r, 0);
    raw_put(&r, 4, 0, 4, 12);
    host_recv(&r, MiB);
    atomic_fetch_sub(raw_word(&r, VKW_RING_OFF_G2H_TAIL), 5);
    raw_kick(&r);
    is_int(host_recv(&r, MiB), -EBADMSG, "a tail behind the host's head: -EBADMSG");
    raw_close(&r);

    raw_offer(&r, 0);
    raw_put(&r, 0x7fffffffu, 0, 0, 8);
    is_int(host_recv(&r, MiB), -EMSGSIZE, "a frame over the size limit: -EMSGSIZE");
    raw_close(&r);

    raw_offer(&r, 0);
    raw_put(&r, 4, 17, 4, 12);
    is_int(host_recv(&r, MiB), -EPROTO, "a frame announcing 17 fds: -EPROTO");
    raw_close(&r);

    /* Half a message, a second of nothing (the host sleeps), then gone. */
    raw_offer(&r, 0);
    vkw_conn_set_spin(r.host, 50000);
    raw_put(&r, 1000, 0, 400, 408);
    struct waiter w = {.c = r.host};
    pthread_t t;
    pthread_create(&t, NULL, wait_and_receive, &w);
    while (!atomic_load(&w.started))
        sched_yield();
    sleep_ms(100);
    uint64_t before = thread_cpu_ns(t);
    sleep_ms(1000);
    uint64_t used = thread_cpu_ns(t) - before;
    ok(used < 20000000ull, "a host waiting a second inside a message used %llu us of CPU",
       (unsigned long long)(used / 1000));
    vkw_conn_close(r.sock);
    r.sock = NULL;
    pthread_join(t, NULL);
    is_int(w.rc, -ECONNRESET, "a guest that stops mid-message and goes: -ECONNRESET");
    raw_close(&r);
    is_int(count_fds(), fds_before, "nothing left open");
}

/* Random rings: random bytes in the data area, random counters (in range
 * or not), random sleeping words; the guest then goes, so every receive
 * ends.  The host must return a message or an error, never read outside
 * the mapping (ASan watches) nor hang (alarm). */
static void test_random(void)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    int messages = 0, errors = 0;
    bool sane = true;
    const int fds_before = count_fds();
    for (int round = 0; round < 300; round++) {
        struct raw r;
        if (raw_offer(&r, 0) != 0)
            BAIL_OUT("offer");
        for (size_t i = 0; i < VKW_RING_OFF_DATA + 2 * (size_t)RING; i += 8) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            if (i >= VKW_RING_OFF_DATA || (seed >> 60) < 3)
                memcpy(r.map + i, &seed, 8);
        }
        /* Most rounds: a tail within the ring and a frame that fits. */
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        const uint32_t head = atomic_load(raw_word(&r, VKW_RING_OFF_G2H_HEAD));
        if ((seed >> 62) != 0) {
            atomic_store(raw_word(&r, VKW_RING_OFF_G2H_TAIL), head + (uint32_t)(seed >> 20) % RING);
            if ((seed >> 61) & 1) {
                const uint32_t frame[2] = {(uint32_t)(seed >> 8) % 3000, 0};
                for (int b = 0; b < 8; b++)
                    r.map[VKW_RING_OFF_DATA + (head + (uint32_t)b) % RING] = ((const unsigned char *)frame)[b];
            }
        }
        raw_kick(&r);
        vkw_conn_close(r.sock); /* what is there is all there will be */
        r.sock = NULL;
        const void *d;
        size_t size;
        int rc;
        while ((rc = vkw_conn_recv(r.host, &d, &size, 8192, NULL, NULL)) == 0)
            messages++;
        errors++;
        sane &= rc == -EPIPE || rc == -ECONNRESET || rc == -EBADMSG || rc == -EMSGSIZE ||
                rc == -EPROTO;
        raw_close(&r);
    }
    ok(sane, "300 random rings: %d messages taken, every ring ended with an error code", messages);
    (void)errors;
    is_int(count_fds(), fds_before, "and no descriptor left open");
}

int main(void)
{
    alarm(120);
    snprintf(g_tmp, sizeof g_tmp, "/tmp/vkw-ring-XXXXXX");
    if (!mkdtemp(g_tmp))
        BAIL_OUT("mkdtemp");
    snprintf(g_addr, sizeof g_addr, "unix:%s/socket", g_tmp);
    char err[256];
    if (vkw_transport_listen(g_addr, &g_listener, err, sizeof err) != 0)
        BAIL_OUT("%s", err);
    test_messages();
    test_ping_pong();
    test_idle();
    test_hostile();
    test_random();
    vkw_listener_close(g_listener);
    rmdir(g_tmp);
    return done_testing();
}
