/* vkw_transport — how guest and host exchange messages, whatever carries them.
 *
 * Owns: addresses (`unix:PATH` now; `tcp:HOST:PORT`, `vsock:CID:PORT` and a
 * shared-memory ring later, behind the same calls), connecting, listening,
 * and moving whole framed messages with file descriptors beside them; a
 * message may be sent from several pieces and received in parts, so that
 * bulk bytes (mapped memory) are never copied together just to travel.
 * Nothing above this interface knows which backend it talks through.
 *
 * A message is one batch of commands (guest to host) or of replies (host to
 * guest) as doc/PROTOCOL.md describes, or one handshake message.  On a
 * stream backend it travels as a u32 little-endian byte count, then the
 * bytes; fds ride with the first byte (SCM_RIGHTS).
 *
 * Errors: functions return 0 or a negative errno value, and fill a message
 * buffer (`err`, `err_size`, may be NULL) with a sentence for a person
 * naming the address and the reason (emptied on success).  An address with
 * an unknown scheme is -EINVAL; tcp: and vsock: are -EPROTONOSUPPORT until
 * their backends exist.
 *
 * Threads: no global state; one connection or listener must not be used by
 * two threads at once.  Every descriptor is close-on-exec, and a peer that
 * is gone never raises SIGPIPE.
 */
#ifndef VKW_TRANSPORT_H
#define VKW_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VKW_TRANSPORT_MAX_FDS 16

struct vkw_conn;     /* one connected peer */
struct vkw_listener; /* a listening address */

/* Connect to `address`.  -ECONNREFUSED / -ENOENT when nobody listens,
 * -ENAMETOOLONG for a unix path longer than a socket address holds. */
int vkw_transport_connect(const char *address, struct vkw_conn **out, char *err, size_t err_size);
/* Listen on `address`.  For unix: the parent folder is created with mode
 * 0700 if missing (and intermediate ones), and refused (-EPERM) when it
 * belongs to another user or is group/other-writable; a stale socket file
 * is replaced, but not one a live server listens on (-EADDRINUSE; its
 * server sees the probe as a peer that left at once) nor a file that is
 * not a socket (-EEXIST); the socket is 0600. */
int vkw_transport_listen(const char *address, struct vkw_listener **out, char *err,
                         size_t err_size);
/* Wait for a peer (blocking).  A signal whose handler was installed
 * without SA_RESTART makes it return -EINTR, so a server can look at its
 * stop flag and call again; peers that gave up in the queue are skipped. */
int vkw_listener_accept(struct vkw_listener *l, struct vkw_conn **out, char *err, size_t err_size);
/* Hand an accepted peer to another process (a server's worker started
 * before its client came): the process that accepted it passes
 * vkw_conn_fd (SCM_RIGHTS) before anything was sent or received on it,
 * and the receiver makes its connection here, from that descriptor (taken
 * over, also on failure) and the listener's address.  -EPROTONOSUPPORT
 * where the backend cannot hand connections over, -ENOMEM. */
int vkw_conn_adopt(const char *address, int fd, struct vkw_conn **out, char *err,
                   size_t err_size);
/* A descriptor to poll for incoming peers (readable = accept will not block). */
int vkw_listener_fd(const struct vkw_listener *l);
/* Close, and for unix remove the socket file: only in the process that
 * listened (a forked worker closing its copy leaves it) and only if the
 * file is still the socket it bound.  NULL is a no-op. */
void vkw_listener_close(struct vkw_listener *l);

/* Send one message: all of `data`, plus up to VKW_TRANSPORT_MAX_FDS fds
 * (duplicated by the kernel; the caller keeps its own).  Blocking, also
 * on a descriptor someone made non-blocking; restarts on EINTR.  -EINVAL
 * for more fds (nothing is sent), -EMSGSIZE over 4 GiB - 1, -EPIPE when
 * the peer is gone.  A failure after part of the message went out makes
 * every later send fail the same way. */
int vkw_conn_send(struct vkw_conn *c, const void *data, size_t size, const int *fds, size_t nfds);

/* A run of bytes that is part of a message. */
struct vkw_piece {
    const void *data;
    size_t size;
};
/* Send one message made of `count` pieces back to back, as one
 * vkw_conn_send of their concatenation would, without gathering them into
 * one buffer first: bulk bytes (a mapping, a shadow) go to the kernel from
 * where they lie.  Pieces of size 0 are skipped; the same errors as
 * vkw_conn_send, and -EINVAL for a NULL `pieces` with a non-zero count. */
int vkw_conn_sendv(struct vkw_conn *c, const struct vkw_piece *pieces, size_t count,
                   const int *fds, size_t nfds);
/* Receive one message into a buffer the connection owns (valid until the
 * next receive; 8-byte aligned).  Received fds (the caller owns and must
 * close them; close-on-exec) go to `fds`, an array of
 * VKW_TRANSPORT_MAX_FDS, their count to `nfds`; both may be NULL when the
 * caller takes no fds.  Blocking; restarts on EINTR.  Returns 0,
 * -EPIPE when the peer closed cleanly between messages, -EMSGSIZE for a
 * message over `max_size` (checked before allocating; the connection is
 * then unusable), -ECONNRESET when the peer went away inside a message,
 * -EPROTO when fds came that do not fit (more than the maximum, or `fds`
 * is NULL; they are closed), or another negative errno.  After any
 * failure every later receive fails the same way (sending still works,
 * e.g. to say why); *nfds is then 0 and nothing needs closing. */
int vkw_conn_recv(struct vkw_conn *c, const void **data, size_t *size, size_t max_size, int *fds,
                  size_t *nfds);
/* Receiving one message in parts, so that bulk bytes land where they
 * belong instead of in the connection's buffer:
 *   vkw_conn_recv_begin waits for the next message and reads its byte
 *   count (checked against `max_size`: -EMSGSIZE) and its fds (as
 *   vkw_conn_recv), but none of its bytes;
 *   vkw_conn_recv_part reads the next `n` of them into `dst` (NULL: read
 *   and drop them); asking for more than the message has left is -EINVAL
 *   and reads nothing.
 * The message ends when its last byte has been read; a vkw_conn_recv or
 * vkw_conn_recv_begin before that is -EPROTO (the stream would be out of
 * step).  Failures are sticky as for vkw_conn_recv. */
int vkw_conn_recv_begin(struct vkw_conn *c, size_t *size, size_t max_size, int *fds,
                        size_t *nfds);
int vkw_conn_recv_part(struct vkw_conn *c, void *dst, size_t n);
/* Bytes of the message begun with vkw_conn_recv_begin not read yet. */
size_t vkw_conn_recv_left(const struct vkw_conn *c);
/* Whether file descriptors travel on this connection (unix: yes; tcp and
 * vsock will not), and so whether the ends can share memory at all. */
bool vkw_conn_passes_fds(const struct vkw_conn *c);
/* A descriptor to poll for incoming messages. */
int vkw_conn_fd(const struct vkw_conn *c);
/* Busy-wait up to `ns` nanoseconds for incoming bytes before a receive
 * sleeps (0, the default: never).  Waking a sleeping process costs tens of
 * microseconds on some machines; a peer that answers within the spin is
 * heard without that wakeup, and an idle connection still sleeps. */
void vkw_conn_set_spin(struct vkw_conn *c, uint64_t ns);
/* The spin both ends use unless told otherwise: $VKWIRE_SPIN_US
 * microseconds (0 turns spinning off), else VKW_DEFAULT_SPIN_US. */
#define VKW_DEFAULT_SPIN_US 50u
uint64_t vkw_transport_spin_from_env(void);
/* Whether bytes are ready now, or arrive within the spin time: for a
 * caller that polls the descriptor itself, to skip the poll.  True also
 * when the peer has gone (the receive then says so). */
bool vkw_conn_spin_readable(struct vkw_conn *c);
/* Whether a receive would not sleep now (a message, the peer's end, or a
 * receive error is there), without spinning or sleeping: one poll() of
 * the socket with no timeout.  For a caller that expects no message and
 * wants to notice, between calls, a peer that spoke unasked or went away. */
bool vkw_conn_readable_now(struct vkw_conn *c);
/* Wait until a receive would not sleep (a message, or the peer's end, is
 * there: 1) or `extra_fd` (-1: none) is readable (2); spins first as a
 * receive does.  -EINTR when a signal came, another -errno if the wait
 * itself failed.  For a loop that must also watch something else (a
 * server's stop pipe); on the ring it sleeps on the ring's eventfd. */
int vkw_conn_wait(struct vkw_conn *c, int extra_fd);

/* ---- the shared-memory ring (doc/PROTOCOL.md, "Shared-memory ring") ----
 * A unix connection can move its messages through shared memory instead
 * of the socket: same messages, same limits and errors, but a peer that is
 * awake sees them without a syscall.  The guest creates the ring and
 * offers its VKW_RING_FDS descriptors (memfd, the host's eventfd, the
 * guest's eventfd) in a message; the host attaches them; both then start
 * using it.  Sending or receiving through it is vkw_conn_send/recv as
 * before; fds sent with a message travel on the socket beside it.  A
 * receive that finds a counter the peer cannot have written (more bytes
 * than the ring holds) fails with -EBADMSG; the connection is then done. */
#define VKW_RING_FDS 3
/* The shared memory (doc/PROTOCOL.md gives the rules): u32 counters, each
 * on a line of its own, then the guest-to-host data area, then the
 * host-to-guest one, each of the ring's size.  The file is exactly
 * VKW_RING_OFF_DATA + 2 * size bytes. */
#define VKW_RING_OFF_G2H_TAIL 0u      /* bytes the guest has written, mod 2^32 */
#define VKW_RING_OFF_G2H_HEAD 128u    /* bytes the host has read */
#define VKW_RING_OFF_H2G_TAIL 256u    /* bytes the host has written */
#define VKW_RING_OFF_H2G_HEAD 384u    /* bytes the guest has read */
#define VKW_RING_OFF_GUEST_SLEEP 512u /* 0 awake, 1 sleeps for data, 2 for room */
#define VKW_RING_OFF_HOST_SLEEP 640u
#define VKW_RING_OFF_DATA 4096u
#define VKW_RING_MIN_BYTES 4096u
#define VKW_RING_MAX_BYTES (64u << 20)
#define VKW_RING_DEFAULT_BYTES (2u << 20) /* each direction */
/* Whether `bytes` is a ring size both ends take (a power of two within
 * the bounds). */
bool vkw_ring_size_ok(uint32_t bytes);
/* Guest: create a ring of `bytes` per direction; fds[] receives the
 * descriptors to offer (still owned by the connection).  Messages keep
 * going over the socket until vkw_conn_ring_start. */
int vkw_conn_ring_create(struct vkw_conn *c, uint32_t bytes, int fds[VKW_RING_FDS], char *err,
                         size_t err_size);
/* Both: the answer went (host) or came (guest) on the socket: use the
 * ring from now on. */
int vkw_conn_ring_start(struct vkw_conn *c);
/* Guest: the host refused: forget the ring, stay on the socket. */
void vkw_conn_ring_abandon(struct vkw_conn *c);
/* Host: check and map what the guest offered (0; vkw_conn_ring_start once
 * the answer is sent), or refuse (-EINVAL, -ENOMEM...) with the reason in
 * `err`.  Every fd in `fds` is taken (kept or closed). */
int vkw_conn_ring_attach(struct vkw_conn *c, const int *fds, size_t nfds, uint32_t bytes,
                         char *err, size_t err_size);
bool vkw_conn_ring_active(const struct vkw_conn *c);
/* The ring size an end offers or takes: 0 when $VKWIRE_RING is "0" (the
 * socket only, e.g. to compare), else VKW_RING_DEFAULT_BYTES. */
int vkw_transport_ring_bytes_from_env(void);

/* Credentials of the peer where the backend knows them (unix: SO_PEERCRED). */
bool vkw_conn_peer_pid(const struct vkw_conn *c, int *pid);
void vkw_conn_close(struct vkw_conn *c);

/* The server's default address: unix:$XDG_RUNTIME_DIR/vkwire/socket when
 * that variable names an existing folder (absolute, and short enough for a
 * socket path), else unix:/tmp/vkwire-$UID/socket.  Writes at most `size`
 * bytes; an empty string when they do not suffice (never a cut path). */
void vkw_transport_default_address(char *out, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* VKW_TRANSPORT_H */
