/* vkw_server_worker — one client, in its own process.
 *
 * Owns: the worker's life: set up after fork, create the renderer (the
 * first Vulkan use in this process, unless it was a spare that started the
 * driver ahead: vkw_server_spare.c), feed it each message from the
 * connection and send its replies, and at the end destroy what the client
 * made and tell the parent why it ended (one line on the report pipe, and
 * the exit status).
 *
 * Why a process: a driver crash, a hostile client that finds a bug, or a
 * command that never returns takes down this process only.  The parent
 * sees the worker's exit status and goes on.
 */
#define _GNU_SOURCE /* prctl's PR_SET_PDEATHSIG (Linux); before any include */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "vkw_server.h"
#include "vkw_handshake.h"
#include "vkw_wire.h"
#include "vkwire/renderer.h"

/* After the last reply, how long the worker waits for the client to close
 * its end (reading and dropping what it still sends).  Closing a unix socket
 * that has unread input makes the peer's next read fail with ECONNRESET,
 * which could hide the final reply's meaning from a guest. */
#define VKW_LINGER_MS 2000
#define VKW_LINGER_MAX_BYTES ((size_t)16 << 20)

/* The SIGTERM handler's way into the poll loop. */
static int stop_pipe[2] = {-1, -1};

static void on_stop(int sig)
{
    (void)sig;
    const int saved = errno;
    if (write(stop_pipe[1], "x", 1) < 0) {
        /* the pipe is full: a wake-up is already pending */
    }
    errno = saved;
}

static bool setup_signals(const struct vkw_worker_config *config)
{
    if (pipe(stop_pipe) != 0)
        return false;
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) != 0)
        return false;
    /* A terminal's ^C reaches the whole process group; the parent decides
     * when workers stop and tells them with SIGTERM. */
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    if (config->unblocked)
        sigprocmask(SIG_SETMASK, config->unblocked, NULL);
#if defined(__linux__)
    /* A worker whose server is gone (killed with SIGKILL) stops too; the
     * check after it covers a server that died before the prctl. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != config->parent)
        raise(SIGTERM);
#else
    (void)config;
#endif
    return true;
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Send our last bytes, then wait (bounded) for the client to close. */
static void linger(int fd)
{
    if (shutdown(fd, SHUT_WR) != 0)
        return;
    char sink[4096];
    size_t dropped = 0;
    const long long deadline = now_ms() + VKW_LINGER_MS;
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0 || dropped > VKW_LINGER_MAX_BYTES)
            return;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;
        ssize_t n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (n <= 0)
            return; /* the client closed (or the connection broke) */
        dropped += (size_t)n;
    }
}

/* The largest message this worker takes: the client's limit, which is at
 * most the protocol's. */
static size_t message_limit(const struct vkw_worker_config *config)
{
    const struct vkw_renderer_options *o = config->renderer_options;
    return o && o->max_message_bytes && o->max_message_bytes < VKW_MAX_MESSAGE_BYTES
               ? o->max_message_bytes
               : VKW_MAX_MESSAGE_BYTES;
}

/* The error reply for a message the transport refused before the renderer
 * saw it (over the size limit): bad_size with the protocol's limit, or,
 * under a lower --max-message-size, limit (message_bytes). */
static void send_oversize_reply(struct vkw_conn *conn, size_t limit)
{
    struct vkw_writer w;
    vkw_writer_init(&w);
    const bool protocol = limit >= VKW_MAX_MESSAGE_BYTES;
    size_t at = vkw_begin_reply(&w, 0, 0, protocol ? VKW_ERROR_BAD_SIZE : VKW_ERROR_LIMIT);
    vkw_write_u64(&w, protocol ? VKW_MAX_MESSAGE_BYTES : VKW_LIMIT_MESSAGE_BYTES);
    vkw_end_message(&w, at);
    if (!w.failed)
        vkw_conn_send(conn, w.data, w.size, NULL, 0);
    vkw_writer_fini(&w);
}

/* The transport's list of a reply's pieces, kept from one reply to the
 * next. */
struct piece_list {
    struct vkw_piece *list;
    size_t capacity;
};

/* Send one reply made of `count` pieces, with the fds the driver exported
 * for it (the context closes its own after). */
static int send_pieces(struct vkw_conn *conn, struct piece_list *l,
                       const struct vkw_renderer_piece *pieces, size_t count, const int *fds,
                       size_t nfds)
{
    if (count > l->capacity) {
        struct vkw_piece *p = realloc(l->list, count * sizeof(*p));
        if (!p)
            return -ENOMEM;
        l->list = p;
        l->capacity = count;
    }
    for (size_t i = 0; i < count; i++)
        l->list[i] = (struct vkw_piece){pieces[i].data, pieces[i].size};
    return vkw_conn_sendv(conn, l->list, count, fds, nfds);
}

/* RING_ATTACH (doc/PROTOCOL.md, "Shared-memory ring"): take the ring or
 * say no, on the socket; from an accepting answer on, every message
 * travels through the ring.  Refusing is not an error: the client stays
 * on the socket.  Takes the fds. */
static int answer_ring(struct vkw_conn *conn, const struct vkw_worker_config *config,
                       const int *fds, size_t nfds, uint32_t serial, uint32_t bytes)
{
    char why[200];
    bool accepted = vkw_transport_ring_bytes_from_env() != 0;
    if (!accepted)
        for (size_t i = 0; i < nfds; i++)
            close(fds[i]);
    else if (vkw_conn_ring_attach(conn, fds, nfds, bytes, why, sizeof why) < 0) {
        vkw_log(VKW_LOG_INFO, "client %lu: %s; staying on the socket", config->client, why);
        accepted = false;
    }
    struct vkw_writer w;
    vkw_writer_init(&w);
    vkw_encode_ring_answer(&w, serial, accepted);
    /* The answer goes on the socket, where the client waits for it. */
    int rc = w.failed ? -ENOMEM : vkw_conn_send(conn, w.data, w.size, NULL, 0);
    vkw_writer_fini(&w);
    if (accepted)
        vkw_conn_ring_start(conn);
    if (rc == 0 && accepted)
        vkw_log(VKW_LOG_VERBOSE, "client %lu: shared-memory ring of %u bytes", config->client,
                bytes);
    return rc;
}

struct outcome {
    int code;          /* enum vkw_worker_exit */
    char reason[400];  /* for the parent's log line */
    bool linger;       /* the client was told why: let it read that */
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void set_outcome(struct outcome *o, int code, const char *fmt, ...)
{
    o->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->reason, sizeof(o->reason), fmt, ap);
    va_end(ap);
}

/* Serve messages until the conversation ends; says how in `o`. */
static void serve_loop(struct vkw_conn *conn, struct vkw_renderer_context *ctx,
                       const struct vkw_worker_config *config, struct outcome *o,
                       struct piece_list *sent, int *record)
{
    bool greeted = false;
    vkw_conn_set_spin(conn, vkw_transport_spin_from_env());
    for (;;) {
        /* A busy client's next message usually comes within the spin;
         * only then is the stop pipe not looked at, for that message.  On
         * the ring this sleeps on the ring's eventfd, so an idle client
         * costs no CPU either way. */
        int r = vkw_conn_wait(conn, stop_pipe[0]);
        if (r == -EINTR)
            continue;
        if (r < 0) {
            set_outcome(o, VKW_WORKER_CONNECTION_LOST, "poll failed: %s", strerror(-r));
            return;
        }
        if (r == 2) {
            set_outcome(o, VKW_WORKER_SHUTDOWN, "server shutting down");
            return;
        }

        const void *msg;
        size_t size, nfds = 0;
        int fds[VKW_TRANSPORT_MAX_FDS];
        const size_t limit = message_limit(config);
        int rc = vkw_conn_recv(conn, &msg, &size, limit, fds, &nfds);
        if (rc == -EPIPE) {
            set_outcome(o, VKW_WORKER_CLEAN, "clean close");
            return;
        }
        if (rc == -EMSGSIZE) {
            send_oversize_reply(conn, limit);
            if (limit < VKW_MAX_MESSAGE_BYTES)
                set_outcome(o, VKW_WORKER_PROTOCOL_ERROR,
                            "protocol error limit message_bytes (%zu): a longer message "
                            "(--max-message-size)",
                            limit);
            else
                set_outcome(o, VKW_WORKER_PROTOCOL_ERROR,
                            "protocol error: a message over the %u-byte limit",
                            (unsigned)VKW_MAX_MESSAGE_BYTES);
            o->linger = true;
            return;
        }
        if (rc == -EPROTO) {
            set_outcome(o, VKW_WORKER_PROTOCOL_ERROR,
                        vkw_conn_ring_active(conn)
                            ? "protocol error: a ring message's file descriptors (more than "
                              "%d, or not the ones its frame announced)"
                            : "protocol error: more than %d file descriptors with one message",
                        VKW_TRANSPORT_MAX_FDS);
            return;
        }
        if (rc == -EBADMSG) { /* nothing in the ring can be trusted: no reply */
            set_outcome(o, VKW_WORKER_PROTOCOL_ERROR,
                        "protocol error: the shared-memory ring is corrupt (a counter out of "
                        "range)");
            return;
        }
        if (rc < 0) {
            set_outcome(o, VKW_WORKER_CONNECTION_LOST, "connection lost: %s%s", strerror(-rc),
                        rc == -ECONNRESET ? " (in the middle of a message)" : "");
            return;
        }
        vkw_record_message(record, msg, size, nfds);
        uint32_t ring_serial, ring_bytes;
        if (greeted && !vkw_conn_ring_active(conn) &&
            vkw_decode_ring_attach(msg, size, &ring_serial, &ring_bytes)) {
            if (answer_ring(conn, config, fds, nfds, ring_serial, ring_bytes) < 0) {
                set_outcome(o, VKW_WORKER_CONNECTION_LOST,
                            "connection lost while answering the ring offer");
                return;
            }
            continue;
        }
        /* The renderer takes the fds (ALLOCATE_SHARED maps them) and
         * closes every one.  The reply comes as pieces: bytes read back
         * from mapped memory go to the socket from where they lie. */
        const struct vkw_renderer_piece *pieces;
        size_t count;
        enum vkw_renderer_status s =
            vkw_renderer_context_process_pieces(ctx, msg, size, fds, nfds, &pieces, &count);
        const int *reply_fds;
        size_t reply_nfds;
        vkw_renderer_context_reply_fds(ctx, &reply_fds, &reply_nfds);
        if (count) {
            rc = send_pieces(conn, sent, pieces, count, reply_fds, reply_nfds);
            if (rc < 0) {
                set_outcome(o, VKW_WORKER_CONNECTION_LOST,
                            "connection lost while replying: %s", strerror(-rc));
                return;
            }
        }
        switch (s) {
        case VKW_RENDERER_OK:
            if (!greeted)
                vkw_log(VKW_LOG_VERBOSE, "client %lu: handshake accepted", config->client);
            greeted = true;
            break;
        case VKW_RENDERER_PROTOCOL_ERROR:
            set_outcome(o, VKW_WORKER_PROTOCOL_ERROR, "protocol error %s",
                        vkw_renderer_context_error(ctx));
            o->linger = true;
            return;
        case VKW_RENDERER_HANDSHAKE_REFUSED:
            set_outcome(o, VKW_WORKER_REFUSED, "%s", vkw_renderer_context_error(ctx));
            o->linger = true;
            return;
        case VKW_RENDERER_INVALID_ARGUMENT: /* cannot happen: the arguments are ours */
            set_outcome(o, VKW_WORKER_START_FAILED,
                        "internal error: the renderer refused its arguments");
            return;
        }
    }
}

static void serve(struct vkw_conn *conn, struct vkw_renderer_context *ctx,
                  const struct vkw_worker_config *config, struct outcome *o, int *record)
{
    struct piece_list sent = {NULL, 0};
    serve_loop(conn, ctx, config, o, &sent, record);
    free(sent.list);
}

/* One line for the parent to log: written in one go, well under PIPE_BUF,
 * so it arrives whole even if the worker dies right after. */
static void report(int fd, const char *text)
{
    if (fd < 0)
        return;
    size_t n = strlen(text);
    if (write(fd, text, n) < 0) {
        /* the parent is gone: nobody to tell */
    }
}

bool vkw_worker_start(const struct vkw_worker_config *config)
{
    if (setup_signals(config))
        return true;
    char line[512];
    snprintf(line, sizeof(line), "worker could not start: %s", strerror(errno));
    report(config->report_fd, line);
    return false;
}

int vkw_worker_stop_fd(void) { return stop_pipe[0]; }

int vkw_worker_run(struct vkw_conn *conn, const struct vkw_worker_config *config)
{
    if (!vkw_worker_start(config)) {
        vkw_conn_close(conn);
        return VKW_WORKER_START_FAILED;
    }
    return vkw_worker_serve(conn, config);
}

int vkw_worker_serve(struct vkw_conn *conn, const struct vkw_worker_config *config)
{
    struct outcome o = {.code = VKW_WORKER_START_FAILED};
    struct vkw_renderer *renderer = NULL;
    struct vkw_renderer_context *ctx = NULL;
    char line[512];

    /* The worker serves the shared-memory ring itself (answer_ring), and
     * sends each reply's fds, on connections that can pass descriptors. */
    struct vkw_renderer_options options = VKW_RENDERER_OPTIONS_INIT;
    if (config->renderer_options)
        options = *config->renderer_options;
    if (vkw_conn_passes_fds(conn) && vkw_transport_ring_bytes_from_env() != 0)
        options.transport_features |= VKW_FEATURE_RING;
    if (vkw_conn_passes_fds(conn)) /* exported fds ride beside the replies */
        options.transport_features |= VKW_FEATURE_EXTERNAL_FDS;
    int rc = vkw_renderer_create(&options, &renderer);
    if (rc == 0)
        ctx = vkw_renderer_context_create(renderer);
    if (!ctx) {
        snprintf(line, sizeof(line), "worker could not start: %s",
                 strerror(rc < 0 ? -rc : ENOMEM));
        report(config->report_fd, line);
        vkw_renderer_destroy(renderer);
        vkw_conn_close(conn);
        return VKW_WORKER_START_FAILED;
    }

    int record = vkw_record_open(config->client);
    serve(conn, ctx, config, &o, &record);
    if (record >= 0)
        close(record);
    if (o.linger)
        linger(vkw_conn_fd(conn));
    vkw_conn_close(conn);

    /* The client is gone (or cut off): nothing it made may outlive it. */
    const size_t objects = vkw_renderer_context_object_count(ctx);
    const size_t destroyed = vkw_renderer_context_destroy_objects(ctx);
    vkw_renderer_context_destroy(ctx);
    vkw_renderer_destroy(renderer);
    vkw_log(VKW_LOG_VERBOSE, "client %lu: %zu ids released, %zu objects destroyed",
            config->client, objects, destroyed);

    snprintf(line, sizeof(line), "%s; destroyed %zu object%s", o.reason, destroyed,
             destroyed == 1 ? "" : "s");
    report(config->report_fd, line);
    close(stop_pipe[0]);
    close(stop_pipe[1]);
    return o.code;
}
