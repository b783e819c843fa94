/* vkw_transport — the public calls of vkw_transport.h, whatever the backend.
 *
 * Owns: parsing an address into its scheme and the rest, choosing the
 * backend's ops table, the messages for schemes that are unknown or not
 * built, argument checks shared by all backends, the connection's receive
 * buffer, and the default address.  Backends live in
 * vkw_transport_<scheme>.c; the framing on stream sockets in
 * vkw_transport_stream.c.  No global mutable state.
 */
#define _GNU_SOURCE /* strerror_r (either flavour); before any include */

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vkw_transport.h"
#include "vkw_transport_private.h"

/* Schemes that are planned but have no backend yet. */
static const struct vkw_transport_ops vkw_transport_tcp_ops = {
    .scheme = "tcp", .syntax = "tcp:HOST:PORT", .unavailable = "not built yet"};
static const struct vkw_transport_ops vkw_transport_vsock_ops = {
    .scheme = "vsock", .syntax = "vsock:CID:PORT", .unavailable = "not built yet"};

static const struct vkw_transport_ops *const vkw_transport_backends[] = {
    &vkw_transport_unix_ops,
    &vkw_transport_tcp_ops,
    &vkw_transport_vsock_ops,
};
#define VKW_N_BACKENDS (sizeof vkw_transport_backends / sizeof vkw_transport_backends[0])

/* The receive buffer: at least this much once used, and a bigger one is
 * given back after this many messages in a row that fit in VKW_RECV_KEEP,
 * so one huge message does not pin its memory for the life of the
 * connection, and alternating sizes do not make every message malloc. */
#define VKW_RECV_MIN ((size_t)4096)
#define VKW_RECV_KEEP ((size_t)1 << 20)
#define VKW_RECV_SHRINK_AFTER 16u

/* ---- messages -------------------------------------------------------------- */

void vkw_transport_errorf(char *err, size_t err_size, const char *fmt, ...)
{
    if (!err || !err_size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
}

static void vkw_clear_error(char *err, size_t err_size)
{
    if (err && err_size)
        err[0] = '\0';
}

/* strerror_r is the GNU one (returns the text) under _GNU_SOURCE on glibc,
 * the XSI one (fills buf, returns 0) elsewhere, e.g. musl: take either. */
static const char *vkw_strerror_gnu(char *r, char *buf) { (void)buf; return r; }
static const char *vkw_strerror_xsi(int r, char *buf) { return r == 0 ? buf : NULL; }

const char *vkw_transport_strerror(int e, char *buf, size_t size)
{
    buf[0] = '\0';
    const char *s = _Generic(strerror_r(e, buf, size), char *: vkw_strerror_gnu,
                             default: vkw_strerror_xsi)(strerror_r(e, buf, size), buf);
    if (!s || !*s) {
        snprintf(buf, size, "error %d", e);
        s = buf;
    }
    return s;
}

/* "unix:PATH; tcp:HOST:PORT and vsock:CID:PORT are not built yet", or
 * without `planned` just the working ones: "unix:PATH". */
static void vkw_list_schemes(char *out, size_t size, bool planned)
{
    size_t len = 0;
    out[0] = '\0';
    for (int pass = 0; pass < (planned ? 2 : 1); pass++) { /* working ones first */
        size_t n = 0, total = 0;
        for (size_t i = 0; i < VKW_N_BACKENDS; i++)
            total += (vkw_transport_backends[i]->unavailable != NULL) == pass;
        for (size_t i = 0; i < VKW_N_BACKENDS && len < size; i++) {
            const struct vkw_transport_ops *o = vkw_transport_backends[i];
            if ((o->unavailable != NULL) != pass)
                continue;
            const char *sep = n == 0 ? (pass && len ? "; " : "")
                              : n + 1 == total ? " and " : ", ";
            len += (size_t)snprintf(out + len, size - len, "%s%s", sep, o->syntax);
            n++;
        }
        if (pass && n && len < size)
            len += (size_t)snprintf(out + len, size - len, " %s not built yet",
                                    n == 1 ? "is" : "are");
    }
}

/* Find the backend for `address`, or fill err and return NULL with *rc set. */
static const struct vkw_transport_ops *vkw_backend_for(const char *address, const char *verb,
                                                      const char **rest, int *rc, char *err,
                                                      size_t err_size)
{
    char schemes[160];
    vkw_list_schemes(schemes, sizeof schemes, true);
    if (!address || !*address) {
        *rc = -EINVAL;
        vkw_transport_errorf(err, err_size,
                             "cannot %s an empty transport address (expected %s)", verb,
                             schemes);
        return NULL;
    }
    const char *colon = strchr(address, ':');
    size_t slen = colon ? (size_t)(colon - address) : 0;
    for (size_t i = 0; colon && i < VKW_N_BACKENDS; i++) {
        const struct vkw_transport_ops *o = vkw_transport_backends[i];
        if (strlen(o->scheme) != slen || memcmp(o->scheme, address, slen) != 0)
            continue;
        if (o->unavailable) {
            *rc = -EPROTONOSUPPORT;
            vkw_list_schemes(schemes, sizeof schemes, false);
            vkw_transport_errorf(err, err_size, "cannot %s %s: %s: transport %s (available: %s)",
                                 verb, address, o->scheme, o->unavailable, schemes);
            return NULL;
        }
        *rest = colon + 1;
        return o;
    }
    *rc = -EINVAL;
    if (colon)
        vkw_transport_errorf(err, err_size,
                             "cannot %s %s: unknown transport scheme '%.*s' (supported: %s)",
                             verb, address, (int)slen, address, schemes);
    else
        vkw_transport_errorf(err, err_size,
                             "cannot %s %s: the address has no transport scheme (%s%s%s"
                             "supported: %s)",
                             verb, address, address[0] == '/' ? "did you mean unix:" : "",
                             address[0] == '/' ? address : "", address[0] == '/' ? "? " : "",
                             schemes);
    return NULL;
}

/* ---- objects ------------------------------------------------------------- */

struct vkw_conn *vkw_conn_alloc(const struct vkw_transport_ops *ops, int fd, size_t size)
{
    struct vkw_conn *c = calloc(1, size);
    if (c) {
        c->ops = ops;
        c->fd = fd;
    }
    return c;
}

struct vkw_listener *vkw_listener_alloc(const struct vkw_transport_ops *ops, int fd,
                                        const char *address, size_t size)
{
    struct vkw_listener *l = calloc(1, size);
    char *copy = strdup(address);
    if (!l || !copy) {
        free(l);
        free(copy);
        return NULL;
    }
    l->ops = ops;
    l->fd = fd;
    l->address = copy;
    return l;
}

int vkw_conn_reserve(struct vkw_conn *c, size_t need, size_t max_size)
{
    if (need <= c->cap && c->buf) {
        if (c->cap <= VKW_RECV_KEEP || need > VKW_RECV_KEEP) {
            c->small_run = 0;
            return 0;
        }
        if (++c->small_run < VKW_RECV_SHRINK_AFTER)
            return 0;
        need = VKW_RECV_KEEP; /* give the big buffer back */
    } else {
        /* Grow geometrically (no more than the caller allows): sizes that
         * creep up do not malloc each time. */
        size_t want = c->cap > max_size / 2 ? max_size : c->cap * 2;
        if (need < want)
            need = want;
    }
    if (need < VKW_RECV_MIN)
        need = VKW_RECV_MIN;
    free(c->buf); /* contents need not survive: no realloc copy */
    c->buf = malloc(need);
    c->cap = c->buf ? need : 0;
    c->small_run = 0;
    return c->buf ? 0 : -ENOMEM;
}

/* ---- the public calls ------------------------------------------------------ */

int vkw_transport_connect(const char *address, struct vkw_conn **out, char *err, size_t err_size)
{
    const char *rest = NULL;
    int rc = 0;
    vkw_clear_error(err, err_size);
    if (!out) {
        vkw_transport_errorf(err, err_size, "cannot connect: no place for the connection");
        return -EINVAL;
    }
    *out = NULL;
    const struct vkw_transport_ops *o =
        vkw_backend_for(address, "connect to", &rest, &rc, err, err_size);
    return o ? o->connect(address, rest, out, err, err_size) : rc;
}

int vkw_transport_listen(const char *address, struct vkw_listener **out, char *err,
                         size_t err_size)
{
    const char *rest = NULL;
    int rc = 0;
    vkw_clear_error(err, err_size);
    if (!out) {
        vkw_transport_errorf(err, err_size, "cannot listen: no place for the listener");
        return -EINVAL;
    }
    *out = NULL;
    const struct vkw_transport_ops *o =
        vkw_backend_for(address, "listen on", &rest, &rc, err, err_size);
    return o ? o->listen(address, rest, out, err, err_size) : rc;
}

int vkw_listener_accept(struct vkw_listener *l, struct vkw_conn **out, char *err, size_t err_size)
{
    vkw_clear_error(err, err_size);
    if (!l || !out) {
        vkw_transport_errorf(err, err_size, "cannot accept: no listener or no place for the "
                                            "connection");
        return -EINVAL;
    }
    *out = NULL;
    return l->ops->accept(l, out, err, err_size);
}

int vkw_conn_adopt(const char *address, int fd, struct vkw_conn **out, char *err,
                   size_t err_size)
{
    const char *rest = NULL;
    int rc = 0;
    vkw_clear_error(err, err_size);
    if (!out || fd < 0) {
        vkw_transport_errorf(err, err_size, "cannot adopt a connection: no descriptor or no "
                                            "place for the connection");
        if (fd >= 0)
            close(fd);
        return -EINVAL;
    }
    *out = NULL;
    const struct vkw_transport_ops *o =
        vkw_backend_for(address, "adopt a connection on", &rest, &rc, err, err_size);
    if (o && !o->adopt) {
        rc = -EPROTONOSUPPORT;
        vkw_transport_errorf(err, err_size,
                             "cannot adopt a connection on %s: %s connections cannot be "
                             "handed to another process",
                             address, o->scheme);
    }
    if (!o || !o->adopt) {
        close(fd);
        return rc;
    }
    return o->adopt(fd, out, err, err_size);
}

int vkw_listener_fd(const struct vkw_listener *l) { return l ? l->fd : -1; }

void vkw_listener_close(struct vkw_listener *l)
{
    if (!l)
        return;
    l->ops->listener_close(l);
    free(l->address);
    free(l);
}

int vkw_conn_send(struct vkw_conn *c, const void *data, size_t size, const int *fds, size_t nfds)
{
    if (size && !data)
        return -EINVAL;
    const struct vkw_piece piece = {data, size};
    return vkw_conn_sendv(c, &piece, 1, fds, nfds);
}

int vkw_conn_sendv(struct vkw_conn *c, const struct vkw_piece *pieces, size_t count,
                   const int *fds, size_t nfds)
{
    if (!c || (count && !pieces) || (nfds && !fds) || nfds > VKW_TRANSPORT_MAX_FDS)
        return -EINVAL;
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        if (pieces[i].size && !pieces[i].data)
            return -EINVAL;
        if (pieces[i].size > UINT32_MAX - total)
            return -EMSGSIZE;
        total += pieces[i].size;
    }
    if (c->send_error)
        return c->send_error;
    if (c->ring)
        return vkw_ring_send(c, pieces, count, total, fds, nfds);
    return c->ops->send(c, pieces, count, total, fds, nfds);
}

/* A receive failed: every later one fails the same way. */
static int recv_failed(struct vkw_conn *c, int rc)
{
    c->recv_error = rc;
    c->rx_left = 0;
    return rc;
}

int vkw_conn_recv(struct vkw_conn *c, const void **data, size_t *size, size_t max_size, int *fds,
                  size_t *nfds)
{
    if (nfds)
        *nfds = 0;
    if (data)
        *data = NULL;
    if (size)
        *size = 0;
    if (!c || !data || !size || (fds && !nfds))
        return -EINVAL;
    if (c->recv_error)
        return c->recv_error;
    if (c->rx_left)
        return recv_failed(c, -EPROTO); /* the message begun in parts is not over */
    int rc = c->ring ? vkw_ring_recv(c, data, size, max_size, fds, nfds)
                     : c->ops->recv(c, data, size, max_size, fds, nfds);
    if (rc < 0) {
        recv_failed(c, rc);
        *data = NULL;
        *size = 0;
    }
    return rc;
}

int vkw_conn_recv_begin(struct vkw_conn *c, size_t *size, size_t max_size, int *fds,
                        size_t *nfds)
{
    if (nfds)
        *nfds = 0;
    if (size)
        *size = 0;
    if (!c || !size || (fds && !nfds))
        return -EINVAL;
    if (c->recv_error)
        return c->recv_error;
    if (c->rx_left)
        return recv_failed(c, -EPROTO);
    int rc = c->ring ? vkw_ring_recv_begin(c, size, max_size, fds, nfds)
                     : c->ops->recv_begin(c, size, max_size, fds, nfds);
    if (rc < 0) {
        recv_failed(c, rc);
        *size = 0;
    }
    return rc;
}

int vkw_conn_recv_part(struct vkw_conn *c, void *dst, size_t n)
{
    if (!c)
        return -EINVAL;
    if (c->recv_error)
        return c->recv_error;
    if (n > c->rx_left)
        return -EINVAL;
    if (n == 0)
        return 0;
    int rc = c->ring ? vkw_ring_recv_part(c, dst, n) : c->ops->recv_part(c, dst, n);
    return rc < 0 ? recv_failed(c, rc) : 0;
}

size_t vkw_conn_recv_left(const struct vkw_conn *c)
{
    return c ? c->rx_left : 0;
}

int vkw_conn_fd(const struct vkw_conn *c) { return c ? c->fd : -1; }

void vkw_conn_set_spin(struct vkw_conn *c, uint64_t ns)
{
    if (c)
        c->spin_ns = ns;
}

uint64_t vkw_transport_spin_from_env(void)
{
    const char *v = getenv("VKWIRE_SPIN_US");
    char *end;
    unsigned long long us = v && *v ? strtoull(v, &end, 10) : VKW_DEFAULT_SPIN_US;
    if (v && *v && (*end || us > 1000000)) /* nonsense: keep the default */
        us = VKW_DEFAULT_SPIN_US;
    return (uint64_t)us * 1000u;
}

static uint64_t monotonic_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

bool vkw_conn_spin_readable(struct vkw_conn *c)
{
    if (!c || c->fd < 0)
        return false;
    if (c->ring)
        return vkw_ring_readable_now(c);
    const uint64_t deadline = c->spin_ns ? monotonic_ns() + c->spin_ns : 0;
    do {
        unsigned char byte;
        ssize_t n = recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return true; /* bytes, the end, or an error: the receive will tell */
        if (deadline)
            sched_yield(); /* the peer may need this very CPU to answer */
    } while (monotonic_ns() < deadline);
    return false;
}
bool vkw_conn_readable_now(struct vkw_conn *c)
{
    if (!c || c->fd < 0)
        return false;
    if (c->recv_error || (c->ring && vkw_ring_readable_now(c)))
        return true;
    /* On the ring the socket carries only fds beside ring messages (whose
     * frames the ring shows first): only its end counts there. */
    struct pollfd p = {.fd = c->fd, .events = (short)(c->ring ? POLLRDHUP : POLLIN | POLLRDHUP)};
    int n;
    do
        n = poll(&p, 1, 0);
    while (n < 0 && errno == EINTR);
    return n > 0 && (p.revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

int vkw_conn_wait(struct vkw_conn *c, int extra_fd)
{
    if (!c)
        return -EINVAL;
    if (c->recv_error)
        return 1; /* the receive says why */
    if (c->ring)
        return vkw_ring_wait(c, extra_fd);
    if (vkw_conn_spin_readable(c))
        return 1;
    struct pollfd p[2] = {{.fd = c->fd, .events = POLLIN}, {.fd = extra_fd, .events = POLLIN}};
    for (;;) {
        int r = poll(p, extra_fd >= 0 ? 2 : 1, -1);
        if (r < 0 && errno == EINTR)
            return -EINTR;
        if (r < 0)
            return -errno;
        if (p[0].revents)
            return 1;
        if (extra_fd >= 0 && p[1].revents)
            return 2;
    }
}

bool vkw_conn_passes_fds(const struct vkw_conn *c) { return c && c->ops->passes_fds; }

bool vkw_conn_peer_pid(const struct vkw_conn *c, int *pid)
{
    return c && pid && c->ops->peer_pid && c->ops->peer_pid(c, pid);
}

void vkw_conn_close(struct vkw_conn *c)
{
    if (!c)
        return;
    c->ops->conn_close(c);
    vkw_ring_free(c->ring);
    vkw_ring_free(c->pending_ring);
    free(c->buf);
    free(c);
}

void vkw_transport_default_address(char *out, size_t size)
{
    if (!out || !size)
        return;
    /* The XDG folder when it is usable: set, absolute, an existing folder,
     * and short enough that .../vkwire/socket fits a unix socket path. */
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    struct stat st;
    int n;
    if (xdg && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) &&
        strlen(xdg) + sizeof "/vkwire/socket" <= sizeof(((struct sockaddr_un *)0)->sun_path))
        n = snprintf(out, size, "unix:%s/vkwire/socket", xdg);
    else
        n = snprintf(out, size, "unix:/tmp/vkwire-%lu/socket", (unsigned long)getuid());
    if (n < 0 || (size_t)n >= size)
        out[0] = '\0'; /* never hand out a cut path: it would name another file */
}
