/* vkw_transport — how guest and host exchange messages, whatever carries them.
 *
 * Owns: addresses (`unix:PATH` now; `tcp:HOST:PORT`, `vsock:CID:PORT` and a
 * shared-memory ring later, behind the same calls), connecting, listening,
 * and moving whole framed messages with file descriptors beside them.
 * Nothing above this interface knows which backend it talks through.
 *
 * A message is one batch of commands (guest to host) or of replies (host to
 * guest) as doc/PROTOCOL.md describes, or one handshake message.  On a
 * stream backend it travels as a u32 little-endian byte count, then the
 * bytes; fds ride with the first byte (SCM_RIGHTS).
 *
 * Errors: functions return 0 or a negative errno value, and fill a message
 * buffer (`err`, `err_size`, may be NULL) with a sentence for a person.
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

/* Connect to `address`.  -ECONNREFUSED / -ENOENT when nobody listens. */
int vkw_transport_connect(const char *address, struct vkw_conn **out, char *err, size_t err_size);
/* Listen on `address`.  For unix: the parent folder is created with mode
 * 0700 if missing, a stale socket file is replaced, the socket is 0600. */
int vkw_transport_listen(const char *address, struct vkw_listener **out, char *err,
                         size_t err_size);
/* Wait for a peer (blocking, restarts on EINTR unless `interrupted` says stop). */
int vkw_listener_accept(struct vkw_listener *l, struct vkw_conn **out, char *err, size_t err_size);
/* A descriptor to poll for incoming peers (readable = accept will not block). */
int vkw_listener_fd(const struct vkw_listener *l);
/* Close, and for unix remove the socket file. */
void vkw_listener_close(struct vkw_listener *l);

/* Send one message: all of `data`, plus up to VKW_TRANSPORT_MAX_FDS fds
 * (duplicated by the kernel; the caller keeps its own).  Blocking. */
int vkw_conn_send(struct vkw_conn *c, const void *data, size_t size, const int *fds, size_t nfds);
/* Receive one message into a buffer the connection owns (valid until the
 * next receive; 8-byte aligned).  Received fds (the caller owns and must
 * close them) go to `fds`, at most VKW_TRANSPORT_MAX_FDS.  Returns 0,
 * -EPIPE when the peer closed cleanly between messages, -EMSGSIZE for a
 * message over `max_size` (the connection is then unusable), or another
 * negative errno. */
int vkw_conn_recv(struct vkw_conn *c, const void **data, size_t *size, size_t max_size, int *fds,
                  size_t *nfds);
/* A descriptor to poll for incoming messages. */
int vkw_conn_fd(const struct vkw_conn *c);
/* Credentials of the peer where the backend knows them (unix: SO_PEERCRED). */
bool vkw_conn_peer_pid(const struct vkw_conn *c, int *pid);
void vkw_conn_close(struct vkw_conn *c);

/* The server's default address: unix:$XDG_RUNTIME_DIR/vkwire/socket, else
 * unix:/tmp/vkwire-$UID/socket.  Writes at most `size` bytes. */
void vkw_transport_default_address(char *out, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* VKW_TRANSPORT_H */
