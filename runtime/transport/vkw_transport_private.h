/* vkw_transport_private — what the transport's backends share; no caller
 * outside runtime/transport/ includes this.
 *
 * Owns: the backend ops table, the generic parts of a connection and a
 * listener (which every backend embeds as its first member), the error
 * message helpers, and the framed stream send/receive that every
 * socket-based backend (unix now, tcp and vsock later) uses.
 *
 * Adding a backend: write vkw_transport_<name>.c with a
 * `const struct vkw_transport_ops vkw_transport_<name>_ops`, declare it
 * below and list it in vkw_transport_backends[] (vkw_transport.c).  Callers
 * of vkw_transport.h do not change.
 */
#ifndef VKW_TRANSPORT_PRIVATE_H
#define VKW_TRANSPORT_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vkw_transport.h"

struct vkw_transport_ops {
    const char *scheme; /* before the ':' of an address, e.g. "unix" */
    const char *syntax; /* how an address looks, for messages: "unix:PATH" */
    /* NULL when the backend works; else why it does not, e.g. "not built
     * yet" (then every function pointer below is NULL and connect/listen
     * answer -EPROTONOSUPPORT). */
    const char *unavailable;
    bool passes_fds; /* SCM_RIGHTS or the like: the ends can share memory */

    /* `address` is the whole address (for messages), `rest` what follows
     * the scheme's ':'.  Same contract as vkw_transport_connect/listen. */
    int (*connect)(const char *address, const char *rest, struct vkw_conn **out, char *err,
                   size_t err_size);
    int (*listen)(const char *address, const char *rest, struct vkw_listener **out, char *err,
                  size_t err_size);
    int (*accept)(struct vkw_listener *l, struct vkw_conn **out, char *err, size_t err_size);
    /* vkw_conn_adopt: a connection around `fd`, a peer accepted on this
     * backend's listener in another process (NULL: the backend's
     * connection is more than its descriptor, and cannot be handed over). */
    int (*adopt)(int fd, struct vkw_conn **out, char *err, size_t err_size);
    /* Arguments are already checked (fd count, sizes, sticky errors, no
     * message half received); `total` is the sum of the pieces' sizes. */
    int (*send)(struct vkw_conn *c, const struct vkw_piece *pieces, size_t count, size_t total,
                const int *fds, size_t nfds);
    int (*recv)(struct vkw_conn *c, const void **data, size_t *size, size_t max_size, int *fds,
                size_t *nfds);
    /* A message in parts (vkw_conn_recv_begin/_part): begin reads the
     * count and the fds and sets c->rx_left; part reads `n` <= rx_left
     * bytes into dst (NULL: dropped) and lowers it. */
    int (*recv_begin)(struct vkw_conn *c, size_t *size, size_t max_size, int *fds,
                      size_t *nfds);
    int (*recv_part)(struct vkw_conn *c, void *dst, size_t n);
    bool (*peer_pid)(const struct vkw_conn *c, int *pid);
    /* Release backend resources; the generic part (fd excluded) is freed by
     * the caller afterwards. */
    void (*conn_close)(struct vkw_conn *c);
    void (*listener_close)(struct vkw_listener *l);
};

extern const struct vkw_transport_ops vkw_transport_unix_ops;

struct vkw_conn {
    const struct vkw_transport_ops *ops;
    int fd; /* what vkw_conn_fd returns; -1 if none */
    /* A failed send that already put bytes on the wire, or any failed
     * receive, leaves the stream out of step: later calls in that direction
     * return the same error. 0 while healthy. */
    int send_error;
    int recv_error;
    /* The receive buffer (malloc: aligned for any type), see
     * vkw_conn_reserve. */
    unsigned char *buf;
    size_t cap;
    unsigned small_run; /* messages in a row that fit VKW_RECV_KEEP */
    uint64_t spin_ns;   /* vkw_conn_set_spin */
    size_t rx_left;     /* bytes of a message received in parts still to read */
    /* The shared-memory ring (vkw_transport_ring.c): once set, messages
     * travel through it instead of the socket, which is kept for fds and
     * for seeing the peer's end.  pending_ring: created, not yet in use. */
    struct vkw_ring *ring;
    struct vkw_ring *pending_ring;
};

struct vkw_listener {
    const struct vkw_transport_ops *ops;
    int fd;
    char *address; /* a copy, for messages */
};

/* Allocate a zeroed object of `size` bytes (>= the generic struct) whose
 * generic part is set up; NULL when out of memory. */
struct vkw_conn *vkw_conn_alloc(const struct vkw_transport_ops *ops, int fd, size_t size);
struct vkw_listener *vkw_listener_alloc(const struct vkw_transport_ops *ops, int fd,
                                        const char *address, size_t size);

/* Make c->buf hold at least `need` bytes (contents are not kept); may also
 * give back a big buffer after a run of small messages.  -ENOMEM. */
int vkw_conn_reserve(struct vkw_conn *c, size_t need, size_t max_size);

/* Format a message into err (may be NULL / 0). */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void vkw_transport_errorf(char *err, size_t err_size, const char *fmt, ...);
/* strerror, thread-safe: the text for errno value `e` (positive). */
const char *vkw_transport_strerror(int e, char *buf, size_t size);

/* Framed messages on a connected stream socket c->fd: a u32 little-endian
 * byte count, then the bytes; fds (SCM_RIGHTS, only where the socket
 * family carries them) ride with the first chunk.  Handle EINTR, partial
 * transfers and a descriptor someone made non-blocking.  Backends use
 * these as their send/recv. */
int vkw_stream_send(struct vkw_conn *c, const struct vkw_piece *pieces, size_t count,
                    size_t total, const int *fds, size_t nfds);
int vkw_stream_recv(struct vkw_conn *c, const void **data, size_t *size, size_t max_size,
                    int *fds, size_t *nfds);
/* In parts: fds ride with the count's first byte; any that come later are
 * closed and the part fails (-EPROTO). */
int vkw_stream_recv_begin(struct vkw_conn *c, size_t *size, size_t max_size, int *fds,
                          size_t *nfds);
int vkw_stream_recv_part(struct vkw_conn *c, void *dst, size_t n);

/* The ring's side of send/receive (same contracts as the ops above), and
 * its waits; vkw_transport.c calls them instead of the backend's once
 * c->ring is set. */
struct vkw_ring;
int vkw_ring_send(struct vkw_conn *c, const struct vkw_piece *pieces, size_t count, size_t total,
                  const int *fds, size_t nfds);
int vkw_ring_recv(struct vkw_conn *c, const void **data, size_t *size, size_t max_size,
                  int *fds, size_t *nfds);
int vkw_ring_recv_begin(struct vkw_conn *c, size_t *size, size_t max_size, int *fds,
                        size_t *nfds);
int vkw_ring_recv_part(struct vkw_conn *c, void *dst, size_t n);
/* vkw_conn_wait in ring mode; whether a receive would find bytes now. */
int vkw_ring_wait(struct vkw_conn *c, int extra_fd);
bool vkw_ring_readable_now(struct vkw_conn *c);
void vkw_ring_free(struct vkw_ring *r);

#endif /* VKW_TRANSPORT_PRIVATE_H */
