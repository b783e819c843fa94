/* vkw_server — what the parts of vkwire-server share.
 *
 * Owns: the log (one line per event, with a timestamp, written whole so
 * that the parent's and the workers' lines never interleave), the worker's
 * exit codes (how a worker tells the parent why it ended) and the worker's
 * entry point, and the recording of what clients send (VKWIRE_RECORD_DIR).
 */
#ifndef VKW_SERVER_H
#define VKW_SERVER_H

#include <stdbool.h>
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include "vkw_transport.h"
#include "vkwire/renderer.h"

enum vkw_log_level {
    VKW_LOG_ERROR = 0,   /* shown even with --quiet */
    VKW_LOG_INFO = 1,    /* the default: startup, clients coming and going */
    VKW_LOG_VERBOSE = 2, /* --verbose: handshakes, details */
};

/* Set once by main before the first fork; workers inherit it. */
extern enum vkw_log_level vkw_log_threshold;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void vkw_log(enum vkw_log_level level, const char *fmt, ...);

/* How a worker ends: its exit status.  Anything else (a signal, a status
 * not listed) means the worker failed in a way it could not report. */
enum vkw_worker_exit {
    VKW_WORKER_CLEAN = 0,          /* the client closed the connection */
    VKW_WORKER_PROTOCOL_ERROR = 10, /* the client broke the protocol */
    VKW_WORKER_REFUSED = 11,       /* the handshake failed (versions) */
    VKW_WORKER_CONNECTION_LOST = 12, /* the connection broke (reset, cut mid-message) */
    VKW_WORKER_SHUTDOWN = 13,      /* the server asked it to stop */
    VKW_WORKER_START_FAILED = 14,  /* it could not set itself up */
};

struct vkw_worker_config {
    unsigned long client;    /* the client's number, for the log */
    pid_t parent;            /* the server; the worker stops if it dies */
    int report_fd;           /* write end of the pipe for the parent's log line */
    /* The signal mask to restore once the worker's handlers are in place
     * (the parent forks with SIGTERM, SIGINT and SIGCHLD blocked). */
    const sigset_t *unblocked;
    /* The renderer's options: the per-client limits of the command line. */
    const struct vkw_renderer_options *renderer_options;
};

/* Serve one client on `conn` (taken over: closed before returning) and
 * return the exit status for the worker process.  Runs in the forked
 * worker only: it creates the renderer, which initialises Vulkan. */
int vkw_worker_run(struct vkw_conn *conn, const struct vkw_worker_config *config);

/* Recording (vkw_server_record.c): the file for this client's messages,
 * or -1 when VKWIRE_RECORD_DIR is not set (or the file cannot be made). */
int vkw_record_open(unsigned long client);
/* Append one received message; closes `*fd` (and sets it to -1) when
 * writing fails. */
void vkw_record_message(int *fd, const void *msg, size_t size, size_t nfds);

#endif /* VKW_SERVER_H */
