/* vkw_transport_stream — framed messages on a connected stream socket.
 *
 * Owns: the frame (u32 little-endian byte count, then the bytes), putting
 * fds beside the first chunk (SCM_RIGHTS) and collecting them on receive,
 * and every partial-transfer case: short reads and writes, EINTR, a
 * descriptor made non-blocking by its owner (waits in poll), a peer gone
 * between messages (-EPIPE, even when the kernel says ECONNRESET because
 * the peer left our bytes unread) or inside one (-ECONNRESET), control data the
 * kernel had to cut (MSG_CTRUNC: -EPROTO, the fds that came are closed).
 *
 * A receive never asks the kernel for more than the rest of the current
 * message, so fds of the next message (they ride with its first byte)
 * can never arrive with this one.
 */
#define _GNU_SOURCE /* MSG_CMSG_CLOEXEC, struct ucred; before any include */

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vkw_transport_private.h"

#define VKW_FRAME_HEADER 4u

/* Room for the most fds we take, plus credentials should someone turn on
 * SO_PASSCRED; cmsghdr in the union aligns it. */
union vkw_cmsg_space {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int) * VKW_TRANSPORT_MAX_FDS) + CMSG_SPACE(sizeof(struct ucred))];
};

/* Wait until the (non-blocking) descriptor is ready for `events`. */
static int vkw_wait(int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events};
    for (;;) {
        int r = poll(&p, 1, -1);
        if (r > 0)
            return 0; /* also on POLLERR/POLLHUP: the next call reports it */
        if (r < 0 && errno != EINTR)
            return -errno;
    }
}

/* At most this many iovecs per sendmsg (far below IOV_MAX). */
#define VKW_SEND_IOVS 64

int vkw_stream_send(struct vkw_conn *c, const struct vkw_piece *pieces, size_t count,
                    size_t total, const int *fds, size_t nfds)
{
    unsigned char header[VKW_FRAME_HEADER] = {
        (unsigned char)total, (unsigned char)(total >> 8), (unsigned char)(total >> 16),
        (unsigned char)(total >> 24)};
    union vkw_cmsg_space ctl;
    /* Where the next byte comes from: the header until it is out, then
     * piece `at`, `off` bytes into it. */
    size_t header_sent = 0, at = 0, off = 0;
    bool first = true;

    for (;;) {
        while (at < count && off == pieces[at].size) /* skip finished and empty pieces */
            at++, off = 0;
        if (header_sent == VKW_FRAME_HEADER && at == count)
            return 0;
        struct iovec iov[VKW_SEND_IOVS];
        size_t niov = 0;
        if (header_sent < VKW_FRAME_HEADER)
            iov[niov++] = (struct iovec){header + header_sent, VKW_FRAME_HEADER - header_sent};
        for (size_t i = at; i < count && niov < VKW_SEND_IOVS; i++) {
            const size_t skip = i == at ? off : 0;
            if (pieces[i].size > skip)
                iov[niov++] = (struct iovec){(unsigned char *)pieces[i].data + skip,
                                             pieces[i].size - skip};
        }
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = niov};
        if (nfds && first) { /* the fds go with the first byte */
            memset(&ctl, 0, sizeof ctl);
            msg.msg_control = ctl.buf;
            msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
            struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
            cm->cmsg_level = SOL_SOCKET;
            cm->cmsg_type = SCM_RIGHTS;
            cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
            memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
        }
        ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
        if (n >= 0) {
            size_t done = (size_t)n;
            first = false;
            const size_t h = VKW_FRAME_HEADER - header_sent < done ? VKW_FRAME_HEADER - header_sent
                                                                   : done;
            header_sent += h;
            done -= h;
            while (done > 0) { /* advance through the pieces */
                const size_t room = pieces[at].size - off;
                if (done < room) {
                    off += done;
                    done = 0;
                } else {
                    done -= room;
                    at++, off = 0;
                }
            }
            continue;
        }
        int e = errno;
        if (e == EINTR)
            continue;
        if (e == EAGAIN || e == EWOULDBLOCK)
            e = -vkw_wait(c->fd, POLLOUT);
        if (e == 0)
            continue;
        if (!first)
            c->send_error = -e; /* half a frame is on the wire */
        return -e;
    }
}

/* Close the fds gathered so far. */
static void vkw_close_fds(int *fds, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        close(fds[i]);
    *n = 0;
}

/* Read up to `len` bytes (len > 0), gathering fds into got[*ngot].
 * Returns the count (0 at end of stream) or -errno. */
static ssize_t vkw_recv_some(int fd, void *p, size_t len, int *got, size_t *ngot)
{
    for (;;) {
        union vkw_cmsg_space ctl;
        struct iovec iov = {p, len};
        struct msghdr msg = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
            .msg_controllen = sizeof ctl.buf};
        ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
        if (n < 0) {
            int e = errno;
            if (e == EINTR)
                continue;
            if (e == EAGAIN || e == EWOULDBLOCK) {
                int w = vkw_wait(fd, POLLIN);
                if (w == 0)
                    continue;
                return w;
            }
            return -e;
        }
        bool overflow = false;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
            if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                continue; /* e.g. SCM_CREDENTIALS */
            size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            const unsigned char *d = CMSG_DATA(cm);
            for (size_t i = 0; i < count; i++) {
                int f;
                memcpy(&f, d + i * sizeof(int), sizeof f); /* CMSG_DATA may be unaligned */
                if (*ngot < VKW_TRANSPORT_MAX_FDS) {
                    got[(*ngot)++] = f;
                } else {
                    close(f);
                    overflow = true;
                }
            }
        }
        if (overflow || (msg.msg_flags & MSG_CTRUNC))
            return -EPROTO; /* more fds than a message may carry */
        return n;
    }
}

/* Read exactly `len` bytes.  `started`: bytes of this message already read
 * before this call.  End of stream: -EPIPE at a message boundary,
 * -ECONNRESET inside a message. */
static int vkw_recv_full(int fd, unsigned char *p, size_t len, size_t started, int *got,
                         size_t *ngot)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = vkw_recv_some(fd, p + done, len - done, got, ngot);
        /* Linux says ECONNRESET, once our queue is drained, when the peer
         * closed with bytes of ours unread.  Between messages nothing of
         * what we receive was cut: that is still the peer's end, -EPIPE. */
        if (n == -ECONNRESET && started + done == 0)
            return -EPIPE;
        if (n < 0)
            return (int)n;
        if (n == 0)
            return started + done == 0 ? -EPIPE : -ECONNRESET;
        done += (size_t)n;
    }
    return 0;
}

int vkw_stream_recv(struct vkw_conn *c, const void **data, size_t *size, size_t max_size,
                    int *fds, size_t *nfds)
{
    int got[VKW_TRANSPORT_MAX_FDS];
    size_t ngot = 0;
    unsigned char header[VKW_FRAME_HEADER];

    if (c->spin_ns)
        vkw_conn_spin_readable(c); /* then the receive below need not sleep */
    int rc = vkw_recv_full(c->fd, header, sizeof header, 0, got, &ngot);
    if (rc < 0)
        goto fail;
    size_t len = (size_t)header[0] | (size_t)header[1] << 8 | (size_t)header[2] << 16 |
                 (size_t)header[3] << 24;
    if (len > max_size) { /* checked before anything is allocated */
        rc = -EMSGSIZE;
        goto fail;
    }
    rc = vkw_conn_reserve(c, len, max_size);
    if (rc < 0)
        goto fail;
    rc = vkw_recv_full(c->fd, c->buf, len, sizeof header, got, &ngot);
    if (rc < 0)
        goto fail;
    if (ngot && !fds) { /* the caller takes no fds: this peer breaks the protocol */
        rc = -EPROTO;
        goto fail;
    }
    if (ngot)
        memcpy(fds, got, ngot * sizeof(int));
    if (nfds)
        *nfds = ngot;
    *data = c->buf;
    *size = len;
    return 0;

fail:
    vkw_close_fds(got, &ngot);
    return rc;
}

int vkw_stream_recv_begin(struct vkw_conn *c, size_t *size, size_t max_size, int *fds,
                          size_t *nfds)
{
    int got[VKW_TRANSPORT_MAX_FDS];
    size_t ngot = 0;
    unsigned char header[VKW_FRAME_HEADER];

    int rc = vkw_recv_full(c->fd, header, sizeof header, 0, got, &ngot);
    if (rc < 0)
        goto fail;
    size_t len = (size_t)header[0] | (size_t)header[1] << 8 | (size_t)header[2] << 16 |
                 (size_t)header[3] << 24;
    if (len > max_size) {
        rc = -EMSGSIZE;
        goto fail;
    }
    if (ngot && !fds) {
        rc = -EPROTO;
        goto fail;
    }
    if (ngot)
        memcpy(fds, got, ngot * sizeof(int));
    if (nfds)
        *nfds = ngot;
    c->rx_left = len;
    *size = len;
    return 0;

fail:
    vkw_close_fds(got, &ngot);
    return rc;
}

int vkw_stream_recv_part(struct vkw_conn *c, void *dst, size_t n)
{
    int got[VKW_TRANSPORT_MAX_FDS];
    size_t ngot = 0;
    unsigned char sink[4096];
    /* `started` is never 0 here: the count was read, so an end of stream
     * is inside the message. */
    int rc = 0;
    if (dst) {
        rc = vkw_recv_full(c->fd, dst, n, VKW_FRAME_HEADER, got, &ngot);
    } else {
        for (size_t done = 0; rc == 0 && done < n; done += sizeof sink) {
            const size_t part = n - done < sizeof sink ? n - done : sizeof sink;
            rc = vkw_recv_full(c->fd, sink, part, VKW_FRAME_HEADER, got, &ngot);
        }
    }
    if (rc == 0 && ngot)
        rc = -EPROTO; /* fds belong with a message's first byte */
    vkw_close_fds(got, &ngot);
    if (rc == 0)
        c->rx_left -= n;
    return rc;
}
