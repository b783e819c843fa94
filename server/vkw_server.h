/* vkw_server — what the parts of vkwire-server share.
 *
 * Owns: the log (one line per event, with a timestamp, written whole so
 * that the parent's and the workers' lines never interleave), the worker's
 * exit codes (how a worker tells the parent why it ended) and the worker's
 * entry points, the spare worker's (one started before its client came)
 * and the handoff of a client to it, and the recording of what clients
 * send (VKWIRE_RECORD_DIR).
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
 * worker only: it creates the renderer, which initialises Vulkan.  The
 * same as vkw_worker_start, then vkw_worker_serve. */
int vkw_worker_run(struct vkw_conn *conn, const struct vkw_worker_config *config);
/* The worker's signals (SIGTERM asks it to stop, the parent's death too);
 * false, with the reason reported on config->report_fd, if they cannot be
 * set up.  Once per process, before vkw_worker_serve. */
bool vkw_worker_start(const struct vkw_worker_config *config);
/* Readable once the worker has been asked to stop (after vkw_worker_start). */
int vkw_worker_stop_fd(void);
/* Serve `conn` (taken over) for config->client, tear down what it made,
 * report, and return the exit status. */
int vkw_worker_serve(struct vkw_conn *conn, const struct vkw_worker_config *config);

/* ---- spare workers (vkw_server_spare.c) ----
 *
 * A spare is a worker forked before its client comes.  It starts the
 * driver while it waits (a private VkInstance, and a VkDevice made and
 * destroyed once on the first physical device: the loader's scan, the
 * driver's loading and its one-time set-up are then done), then sleeps
 * until the parent hands it a client over `handoff`, a SOCK_SEQPACKET
 * socketpair: one message holding the client's number (a u64) with the
 * client's socket beside it (SCM_RIGHTS); the parent then closes its end.
 * Once it has made its connection from the socket, and before reading
 * from it, the spare writes one byte, VKW_SPARE_TAKEN, at the start of its
 * report pipe, and serves the client as any worker does (its report line
 * follows the byte).  A spare whose report lacks the byte never read from
 * the client: the parent, which keeps a copy of the client's socket,
 * serves it from a fresh worker.  The end of the socketpair with no
 * message, or SIGTERM, ends a spare that has no client. */
#define VKW_SPARE_TAKEN 't'

/* The spare's life in the forked process (`handoff` and the report pipe
 * are taken over); `address` is the listener's (vkw_conn_adopt); it
 * starts the driver once `warm_delay_ms` have passed with no client.
 * Returns the exit status. */
int vkw_spare_run(int handoff, const char *address, int warm_delay_ms,
                  const struct vkw_worker_config *config);
/* Parent: hand client number `client` on socket `fd` (still the
 * parent's: the kernel passes a copy) to the spare at `handoff`.  0, or
 * a negative errno value. */
int vkw_spare_hand(int handoff, unsigned long client, int fd);

/* Recording (vkw_server_record.c): the file for this client's messages,
 * or -1 when VKWIRE_RECORD_DIR is not set (or the file cannot be made). */
int vkw_record_open(unsigned long client);
/* Append one received message; closes `*fd` (and sets it to -1) when
 * writing fails. */
void vkw_record_message(int *fd, const void *msg, size_t size, size_t nfds);

#endif /* VKW_SERVER_H */
