/* vkw_transport_ring — the shared-memory ring a unix connection can switch
 * to (doc/PROTOCOL.md, "Shared-memory ring").
 *
 * Owns: the ring's layout in a sealed memfd (two single-producer,
 * single-consumer byte rings, guest to host and host to guest, their
 * counters and each side's "sleeping" word on cache lines of their own),
 * the framing in it, moving fds beside a ring message over the socket,
 * spinning, sleeping on an eventfd and kicking the peer, and the checks
 * the host makes of everything the guest can write.
 *
 * Why: a message over the socket costs each side a syscall or two and,
 * when the other side sleeps, a scheduler wakeup of tens of microseconds;
 * through the ring a busy peer sees the bytes from its spin loop and no
 * syscall happens at all.  An idle side sleeps in poll() on its eventfd
 * (and the socket, for the peer's end), so idle costs no CPU.
 *
 * Trust: the host keeps its own copy of every counter it writes and reads
 * from shared memory only the guest's tail (commands) and head (replies),
 * each checked against what it can be before use; bytes are always copied
 * out of the ring before anyone decodes them, so a guest that rewrites the
 * ring under the host changes nothing the host already took.
 */
#define _GNU_SOURCE /* memfd_create, F_ADD_SEALS, POLLRDHUP; before any include */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vkw_transport_private.h"

/* The layout (vkw_transport.h, VKW_RING_OFF_*): one 128-byte line per
 * word (adjacent-line prefetch pairs 64-byte lines), then the two data
 * areas. */
#define OFF_G2H_TAIL VKW_RING_OFF_G2H_TAIL
#define OFF_G2H_HEAD VKW_RING_OFF_G2H_HEAD
#define OFF_H2G_TAIL VKW_RING_OFF_H2G_TAIL
#define OFF_H2G_HEAD VKW_RING_OFF_H2G_HEAD
#define OFF_G_SLEEP VKW_RING_OFF_GUEST_SLEEP
#define OFF_H_SLEEP VKW_RING_OFF_HOST_SLEEP
#define OFF_DATA VKW_RING_OFF_DATA
#define FRAME_BYTES 8u /* u32 byte count, u32 fd count */

/* What a side sleeps for (its sleeping word): the peer kicks it only then. */
enum { AWAKE = 0, WANT_DATA = 1, WANT_SPACE = 2 };

/* Spinning looks at the clock only every this many looks (a look is a
 * load of one shared line and a pause). */
#define LOOKS_PER_CLOCK 32u
/* How long a wait spins with pauses alone before it starts yielding (the
 * rest of the spin time, VKWIRE_SPIN_US, yields between looks).  Measured
 * on 2 busy cores with lavapipe: yielding from the start made a 0.4 us
 * round trip 8-16 us whenever a side reached a yield; pausing for the
 * whole 50 us took the CPU from lavapipe's own threads (render 0.75-0.95
 * of 10 us's frames/s). */
#define PURE_SPIN_NS 10000u

struct vkw_ring {
    bool host;
    unsigned char *map;
    size_t map_size;
    uint32_t size; /* bytes of each data area, a power of two */
    int memfd;     /* guest: until it has been offered */
    int kick_self; /* our eventfd: the peer kicks it */
    int kick_peer; /* the peer's eventfd */
    /* Receiving: data area, shared counters, our head, the peer's tail as
     * last seen and checked. */
    unsigned char *rx;
    _Atomic uint32_t *rx_tail, *rx_head;
    uint32_t rx_pos, rx_seen;
    /* Sending: our tail (published at message end and before a wait),
     * the peer's head as last seen and checked. */
    unsigned char *tx;
    _Atomic uint32_t *tx_tail, *tx_head;
    uint32_t tx_pos, tx_seen;
    _Atomic uint32_t *self_sleep, *peer_sleep;
    bool peer_gone;
};

static _Atomic uint32_t *word(unsigned char *map, size_t off)
{
    return (_Atomic uint32_t *)(void *)(map + off);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* ---- counters --------------------------------------------------------------- */

/* Re-read the peer's tail; -EBADMSG when it cannot be (more bytes than
 * the ring holds, or behind our head: u32 arithmetic makes that huge). */
static int refresh_rx(struct vkw_ring *r)
{
    const uint32_t tail = atomic_load_explicit(r->rx_tail, memory_order_acquire);
    if ((uint32_t)(tail - r->rx_pos) > r->size)
        return -EBADMSG;
    r->rx_seen = tail;
    return 0;
}

/* Re-read the peer's head; -EBADMSG when it is ahead of our tail or more
 * than a ring behind it. */
static int refresh_tx(struct vkw_ring *r)
{
    const uint32_t head = atomic_load_explicit(r->tx_head, memory_order_acquire);
    if ((uint32_t)(r->tx_pos - head) > r->size)
        return -EBADMSG;
    r->tx_seen = head;
    return 0;
}

static void kick(struct vkw_ring *r, uint32_t want)
{
    /* The store before this (tail or head) and our look at the peer's
     * sleeping word are ordered against the peer's store to that word and
     * its second look at the counter (ring_wait): one of us sees the
     * other, so no wakeup is lost. */
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(r->peer_sleep, memory_order_relaxed) == want) {
        const uint64_t one = 1;
        if (write(r->kick_peer, &one, sizeof one) < 0) {
            /* EAGAIN: the counter is full, a kick is pending anyway */
        }
    }
}

static void publish_tx(struct vkw_ring *r)
{
    atomic_store_explicit(r->tx_tail, r->tx_pos, memory_order_release);
    kick(r, WANT_DATA);
}

static void publish_rx(struct vkw_ring *r)
{
    atomic_store_explicit(r->rx_head, r->rx_pos, memory_order_release);
    kick(r, WANT_SPACE);
}

/* ---- waiting ---------------------------------------------------------------- */

/* Whether what `want` waits for is there: -EBADMSG for a corrupt counter. */
static int ready(struct vkw_ring *r, uint32_t want)
{
    int rc = want == WANT_DATA ? refresh_rx(r) : refresh_tx(r);
    if (rc < 0)
        return rc;
    return want == WANT_DATA ? r->rx_seen != r->rx_pos
                             : (uint32_t)(r->tx_pos - r->tx_seen) < r->size;
}

/* Wait until ready(want), or `extra_fd` is readable (returns 2).  Spins
 * for the connection's spin time, then sleeps in poll() on our eventfd,
 * the socket (the peer's end) and extra_fd.  1 when ready, -EPIPE when the
 * peer has gone (and nothing came before it did), -EBADMSG when the peer
 * broke the ring, another -errno if poll fails. */
static int ring_wait(struct vkw_conn *c, uint32_t want, int extra_fd)
{
    struct vkw_ring *r = c->ring;
    int rc = ready(r, want);
    if (rc)
        return rc;
    const uint64_t deadline = c->spin_ns ? now_ns() + c->spin_ns : 0;
    /* The first PURE_SPIN_NS with only a pause between looks, then a
     * yield at every clock look until the spin time is up; then sleep. */
    const uint64_t pure_until = deadline ? now_ns() + PURE_SPIN_NS : 0;
    for (unsigned i = 1; deadline; i++) {
        cpu_relax();
        if ((rc = ready(r, want)) != 0)
            return rc;
        if (i % LOOKS_PER_CLOCK == 0) {
            const uint64_t t = now_ns();
            if (t >= deadline)
                break;
            if (t >= pure_until)
                sched_yield();
        }
    }
    for (;;) {
        if (r->peer_gone)
            return -EPIPE;
        atomic_store_explicit(r->self_sleep, want, memory_order_relaxed);
        atomic_thread_fence(memory_order_seq_cst); /* pairs with kick() */
        rc = ready(r, want);
        if (rc) {
            atomic_store_explicit(r->self_sleep, AWAKE, memory_order_relaxed);
            return rc;
        }
        /* The socket carries only fds beside ring messages, which the
         * receiver fetches when it reads their frame: what matters here
         * is its end. */
        struct pollfd p[3] = {{.fd = r->kick_self, .events = POLLIN},
                              {.fd = c->fd, .events = POLLRDHUP},
                              {.fd = extra_fd, .events = POLLIN}};
        int n = poll(p, extra_fd >= 0 ? 3 : 2, -1);
        atomic_store_explicit(r->self_sleep, AWAKE, memory_order_relaxed);
        if (n < 0 && errno != EINTR)
            return -errno;
        if (n < 0)
            continue;
        if (p[0].revents & POLLIN) {
            uint64_t v;
            if (read(r->kick_self, &v, sizeof v) < 0) {
                /* EAGAIN: someone else drained it; nothing to do */
            }
        }
        if (p[1].revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL))
            r->peer_gone = true; /* what it wrote before it went still counts */
        if ((rc = ready(r, want)) != 0)
            return rc;
        if (extra_fd >= 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR)))
            return 2;
    }
}

/* ---- bytes ------------------------------------------------------------------ */

/* Copy `n` bytes out of the ring into dst (NULL: drop them).  `started`:
 * whether this message already began, for the end-of-stream code. */
static int ring_read(struct vkw_conn *c, unsigned char *dst, size_t n, bool started)
{
    struct vkw_ring *r = c->ring;
    size_t done = 0;
    while (done < n) {
        uint32_t avail = r->rx_seen - r->rx_pos;
        if (avail == 0) {
            publish_rx(r); /* the producer may be waiting for this room */
            int rc = ring_wait(c, WANT_DATA, -1);
            if (rc == -EPIPE)
                return started || done ? -ECONNRESET : -EPIPE;
            if (rc < 0)
                return rc;
            continue;
        }
        const uint32_t at = r->rx_pos & (r->size - 1);
        size_t k = r->size - at; /* contiguous up to the area's end */
        if (k > avail)
            k = avail;
        if (k > n - done)
            k = n - done;
        if (dst)
            memcpy(dst + done, r->rx + at, k);
        r->rx_pos += (uint32_t)k;
        done += k;
    }
    publish_rx(r);
    return 0;
}

static int ring_write(struct vkw_conn *c, const unsigned char *src, size_t n)
{
    struct vkw_ring *r = c->ring;
    size_t done = 0;
    while (done < n) {
        uint32_t room = r->size - (r->tx_pos - r->tx_seen);
        if (room == 0) {
            publish_tx(r); /* let the consumer make room */
            int rc = ring_wait(c, WANT_SPACE, -1);
            if (rc < 0)
                return rc;
            continue;
        }
        const uint32_t at = r->tx_pos & (r->size - 1);
        size_t k = r->size - at;
        if (k > room)
            k = room;
        if (k > n - done)
            k = n - done;
        memcpy(r->tx + at, src + done, k);
        r->tx_pos += (uint32_t)k;
        done += k;
    }
    return 0;
}

/* ---- messages --------------------------------------------------------------- */

int vkw_ring_send(struct vkw_conn *c, const struct vkw_piece *pieces, size_t count, size_t total,
                  const int *fds, size_t nfds)
{
    struct vkw_ring *r = c->ring;
    if (nfds) {
        /* The fds go first, on the socket, as an empty framed message: the
         * receiver fetches them when it reads this message's frame, which
         * names how many, so they can never pair with another message. */
        int rc = vkw_stream_send(c, NULL, 0, 0, fds, nfds);
        if (rc < 0)
            return rc;
    }
    const uint32_t frame[2] = {(uint32_t)total, (uint32_t)nfds};
    unsigned char le[FRAME_BYTES];
    for (int i = 0; i < 2; i++)
        for (int b = 0; b < 4; b++)
            le[i * 4 + b] = (unsigned char)(frame[i] >> (8 * b));
    int rc = ring_write(c, le, sizeof le);
    for (size_t i = 0; rc == 0 && i < count; i++)
        rc = ring_write(c, pieces[i].data, pieces[i].size);
    if (rc < 0) {
        c->send_error = rc; /* part of a frame may be in the ring */
        return rc;
    }
    publish_tx(r);
    return 0;
}

int vkw_ring_recv_begin(struct vkw_conn *c, size_t *size, size_t max_size, int *fds,
                        size_t *nfds)
{
    unsigned char le[FRAME_BYTES];
    int rc = ring_read(c, le, sizeof le, false);
    if (rc < 0)
        return rc;
    const uint32_t len = (uint32_t)le[0] | (uint32_t)le[1] << 8 | (uint32_t)le[2] << 16 |
                         (uint32_t)le[3] << 24;
    const uint32_t want_fds = (uint32_t)le[4] | (uint32_t)le[5] << 8 |
                              (uint32_t)le[6] << 16 | (uint32_t)le[7] << 24;
    if (len > max_size)
        return -EMSGSIZE;
    if (want_fds > VKW_TRANSPORT_MAX_FDS)
        return -EPROTO;
    if (want_fds) {
        int got[VKW_TRANSPORT_MAX_FDS];
        size_t ngot = 0, empty = 0;
        rc = vkw_stream_recv_begin(c, &empty, 0, got, &ngot);
        if (rc == -EMSGSIZE || (rc == 0 && (ngot != want_fds || !fds))) {
            for (size_t i = 0; i < ngot; i++)
                close(got[i]);
            rc = -EPROTO;
        }
        if (rc < 0)
            return rc == -EPIPE ? -ECONNRESET : rc;
        memcpy(fds, got, ngot * sizeof(int));
        *nfds = ngot;
    }
    c->rx_left = len;
    *size = len;
    return 0;
}

int vkw_ring_recv_part(struct vkw_conn *c, void *dst, size_t n)
{
    int rc = ring_read(c, dst, n, true);
    if (rc == 0)
        c->rx_left -= n;
    return rc;
}

int vkw_ring_recv(struct vkw_conn *c, const void **data, size_t *size, size_t max_size,
                  int *fds, size_t *nfds)
{
    size_t len = 0, got = 0;
    int fd_buf[VKW_TRANSPORT_MAX_FDS];
    int rc = vkw_ring_recv_begin(c, &len, max_size, fds ? fd_buf : NULL, &got);
    if (rc < 0)
        return rc;
    rc = vkw_conn_reserve(c, len, max_size);
    if (rc == 0)
        rc = vkw_ring_recv_part(c, c->buf, len);
    if (rc < 0) {
        for (size_t i = 0; i < got; i++)
            close(fd_buf[i]);
        return rc;
    }
    if (got)
        memcpy(fds, fd_buf, got * sizeof(int));
    if (nfds)
        *nfds = got;
    *data = c->buf;
    *size = len;
    return 0;
}

int vkw_ring_wait(struct vkw_conn *c, int extra_fd)
{
    int rc = ring_wait(c, WANT_DATA, extra_fd);
    /* The receive tells the end, or the corrupt counter. */
    return rc == -EPIPE || rc == -EBADMSG ? 1 : rc;
}

bool vkw_ring_readable_now(struct vkw_conn *c)
{
    return ready(c->ring, WANT_DATA) != 0 || c->ring->peer_gone;
}

/* ---- set-up ----------------------------------------------------------------- */

static size_t map_bytes(uint32_t size)
{
    return OFF_DATA + 2 * (size_t)size;
}

static void wire_up(struct vkw_ring *r)
{
    unsigned char *g2h = r->map + OFF_DATA, *h2g = g2h + r->size;
    if (r->host) {
        r->rx = g2h, r->rx_tail = word(r->map, OFF_G2H_TAIL), r->rx_head = word(r->map, OFF_G2H_HEAD);
        r->tx = h2g, r->tx_tail = word(r->map, OFF_H2G_TAIL), r->tx_head = word(r->map, OFF_H2G_HEAD);
        r->self_sleep = word(r->map, OFF_H_SLEEP), r->peer_sleep = word(r->map, OFF_G_SLEEP);
    } else {
        r->rx = h2g, r->rx_tail = word(r->map, OFF_H2G_TAIL), r->rx_head = word(r->map, OFF_H2G_HEAD);
        r->tx = g2h, r->tx_tail = word(r->map, OFF_G2H_TAIL), r->tx_head = word(r->map, OFF_G2H_HEAD);
        r->self_sleep = word(r->map, OFF_G_SLEEP), r->peer_sleep = word(r->map, OFF_H_SLEEP);
    }
}

void vkw_ring_free(struct vkw_ring *r)
{
    if (!r)
        return;
    if (r->map)
        munmap(r->map, r->map_size);
    if (r->memfd >= 0)
        close(r->memfd);
    if (r->kick_self >= 0)
        close(r->kick_self);
    if (r->kick_peer >= 0)
        close(r->kick_peer);
    free(r);
}

static struct vkw_ring *ring_alloc(void)
{
    struct vkw_ring *r = calloc(1, sizeof *r);
    if (r)
        r->memfd = r->kick_self = r->kick_peer = -1;
    return r;
}

bool vkw_ring_size_ok(uint32_t bytes)
{
    return bytes >= VKW_RING_MIN_BYTES && bytes <= VKW_RING_MAX_BYTES && !(bytes & (bytes - 1));
}

int vkw_conn_ring_create(struct vkw_conn *c, uint32_t bytes, int fds[VKW_RING_FDS], char *err,
                         size_t err_size)
{
    if (!c || !fds || c->ring || c->pending_ring || !vkw_ring_size_ok(bytes))
        return -EINVAL;
    if (!c->ops->passes_fds) {
        vkw_transport_errorf(err, err_size, "this transport cannot share memory");
        return -EOPNOTSUPP;
    }
    struct vkw_ring *r = ring_alloc();
    if (!r)
        return -ENOMEM;
    r->size = bytes;
    r->map_size = map_bytes(bytes);
    int rc = 0;
    r->memfd = memfd_create("vkwire-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (r->memfd < 0 || ftruncate(r->memfd, (off_t)r->map_size) != 0 ||
        fcntl(r->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
        rc = -errno;
    if (rc == 0) {
        r->kick_self = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        r->kick_peer = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (r->kick_self < 0 || r->kick_peer < 0)
            rc = -errno;
    }
    if (rc == 0) {
        void *m = mmap(NULL, r->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, r->memfd, 0);
        if (m == MAP_FAILED)
            rc = -errno;
        else
            r->map = m;
    }
    if (rc < 0) {
        char buf[128];
        vkw_transport_errorf(err, err_size, "cannot create the shared-memory ring: %s",
                             vkw_transport_strerror(-rc, buf, sizeof buf));
        vkw_ring_free(r);
        return rc;
    }
    wire_up(r);
    fds[0] = r->memfd;
    fds[1] = r->kick_peer; /* the host's: it sleeps on it */
    fds[2] = r->kick_self;
    c->pending_ring = r;
    return 0;
}

int vkw_conn_ring_start(struct vkw_conn *c)
{
    if (!c || !c->pending_ring || c->ring)
        return -EINVAL;
    c->ring = c->pending_ring;
    c->pending_ring = NULL;
    if (c->ring->memfd >= 0)
        close(c->ring->memfd); /* the mapping stays; the host has its copy */
    c->ring->memfd = -1;
    return 0;
}

void vkw_conn_ring_abandon(struct vkw_conn *c)
{
    if (c) {
        vkw_ring_free(c->pending_ring);
        c->pending_ring = NULL;
    }
}

/* Whether `fd` is an eventfd: anything else could make poll() spin (a
 * regular file is always readable) or a kick block. */
static bool is_eventfd(int fd)
{
    char path[64], target[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0)
        return false;
    target[n] = '\0';
    return strcmp(target, "anon_inode:[eventfd]") == 0;
}

int vkw_conn_ring_attach(struct vkw_conn *c, const int *fds, size_t nfds, uint32_t bytes,
                         char *err, size_t err_size)
{
    /* Every fd offered is ours to close, whatever happens. */
    struct vkw_ring *r = NULL;
    int rc = 0;
    const char *why = NULL;
    struct stat st;
    if (!c || c->ring || c->pending_ring || !c->ops->passes_fds)
        rc = -EINVAL, why = "this connection cannot take a ring";
    else if (nfds != VKW_RING_FDS || !fds)
        rc = -EINVAL, why = "the offer does not carry exactly 3 descriptors";
    else if (!vkw_ring_size_ok(bytes))
        rc = -EINVAL, why = "the ring size is not a power of two within the limits";
    else if (fstat(fds[0], &st) != 0 || !S_ISREG(st.st_mode) ||
             (uint64_t)st.st_size != map_bytes(bytes))
        rc = -EINVAL, why = "the shared memory is not a file of the ring's size";
    else {
        const int seals = fcntl(fds[0], F_GET_SEALS);
        /* Unsealed, the guest could shrink the file under the mapping and
         * the host would die of SIGBUS at its next look. */
        if (seals < 0 || !(seals & F_SEAL_SHRINK))
            rc = -EINVAL, why = "the shared memory is not sealed against shrinking";
        else if (!is_eventfd(fds[1]) || !is_eventfd(fds[2]))
            rc = -EINVAL, why = "a kick descriptor is not an eventfd";
    }
    if (rc == 0 && !(r = ring_alloc()))
        rc = -ENOMEM, why = "out of memory";
    if (rc == 0) {
        r->host = true;
        r->size = bytes;
        r->map_size = map_bytes(bytes);
        void *m = mmap(NULL, r->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
        if (m == MAP_FAILED) {
            rc = -errno, why = "cannot map the shared memory";
        } else {
            r->map = m;
            r->kick_self = fds[1];
            r->kick_peer = fds[2];
            /* Our kicks must never block, whatever the guest set. */
            fcntl(r->kick_peer, F_SETFL, O_NONBLOCK);
            fcntl(r->kick_self, F_SETFL, O_NONBLOCK);
            wire_up(r);
            /* Start from what the guest says is there: both rings empty
             * unless the guest wrote early, which the checks then catch. */
            r->rx_pos = r->rx_seen = atomic_load_explicit(r->rx_head, memory_order_relaxed);
            r->tx_pos = r->tx_seen = atomic_load_explicit(r->tx_tail, memory_order_relaxed);
            atomic_store_explicit(r->rx_head, r->rx_pos, memory_order_relaxed);
            atomic_store_explicit(r->tx_head, r->tx_pos, memory_order_relaxed);
            c->pending_ring = r;
        }
    }
    if (fds)
        for (size_t i = 0; i < nfds; i++)
            if (!(rc == 0 && (i == 1 || i == 2)))
                close(fds[i]);
    if (rc < 0) {
        if (r)
            r->kick_self = r->kick_peer = -1; /* closed above */
        vkw_ring_free(r);
        vkw_transport_errorf(err, err_size, "shared-memory ring refused: %s", why);
    }
    return rc;
}

bool vkw_conn_ring_active(const struct vkw_conn *c) { return c && c->ring; }

int vkw_transport_ring_bytes_from_env(void)
{
    const char *v = getenv("VKWIRE_RING");
    if (v && strcmp(v, "0") == 0)
        return 0;
    return (int)VKW_RING_DEFAULT_BYTES;
}
