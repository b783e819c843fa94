/* vkwire-server — serves vkwire guests, one worker process per client.
 *
 * Owns: the command line, the listening socket, the table of workers and
 * of spare workers, and the parent's loop: keep --spare-workers spares
 * started, accept a client and hand it to a spare (or fork a worker for
 * it when none is left), reap workers as they end and log how each one
 * did, end a worker still busy long after its client left, and shut down
 * cleanly on SIGINT or SIGTERM (stop accepting, ask the workers and
 * spares to stop, wait a bounded time, kill what is left, remove the
 * socket).
 *
 * Why spares: a worker's first Vulkan use (the loader, the driver's
 * loading and one-time set-up) costs a few hundred milliseconds that the
 * client would otherwise wait through.  A spare pays it before anyone
 * asks (vkw_server_spare.c says how, and vkw_server.h how a client is
 * handed over).  Each still serves one client and ends with it.  Spares
 * are not clients: --max-clients does not count them.  A spare that ends
 * before it served anyone is replaced after a pause that doubles each
 * time (never a fork loop); one that ends after it was handed a client
 * but before it took it leaves the client to a fresh worker, from the
 * copy of the client's socket the parent keeps anyway.
 *
 * Why the parent watches each client's socket: a worker can be stuck in the
 * driver for good (a guest's wait with no timeout on a fence nothing will
 * signal, work queued behind a semaphore nothing signals) and then never
 * sees its client leave.  The parent keeps a copy of each client's socket,
 * notes when the client hangs up, and kills the worker if it has not ended
 * --cleanup-timeout seconds later: the process's end frees what the driver
 * still holds for that client, and the server does not collect stuck
 * processes.
 *
 * The parent never touches Vulkan: a driver initialised before fork would
 * be shared, half-copied, by every worker.  Each worker (and spare) starts
 * the driver itself after fork (vkw_server_worker.c, vkw_server_spare.c).
 *
 * Signals reach the loop through a self-pipe: the handlers only write a
 * byte, and the loop polls the pipe beside the listening socket, so no
 * signal can slip in between a check and a wait.
 */
#define _GNU_SOURCE /* getopt_long, pipe2; before any include */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vkw_handshake.h"
#include "vkw_protocol.h"
#include "vkw_server.h"
#include "vkw_transport.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* Exit statuses of vkwire-server itself (--help and the man page list them). */
enum {
    VKW_SERVER_EXIT_OK = 0,      /* shut down on SIGINT/SIGTERM, or --help/--version */
    VKW_SERVER_EXIT_FAILURE = 1, /* could not start: listen failed, out of memory */
    VKW_SERVER_EXIT_USAGE = 2,   /* bad command line */
};

/* Options without a short form. */
enum {
    OPT_MAX_OBJECTS = 256,
    OPT_MAX_MEMORY,
    OPT_MAX_IN_FLIGHT,
    OPT_MAX_MESSAGE,
    OPT_CLEANUP_TIMEOUT,
    OPT_SPARE_WORKERS,
    OPT_MAX_BLOCKING,
};

/* The smallest --max-message-size: a HELLO (40 bytes) must fit, and one
 * reply with room for an error reply after it. */
#define VKW_MIN_MESSAGE_LIMIT 64u

/* After SIGTERM to the workers, how long they get to destroy their
 * clients' objects before SIGKILL. */
#define VKW_SHUTDOWN_GRACE_MS 5000
/* After accept fails for lack of descriptors or memory, how long to stop
 * accepting (polling the listener would otherwise spin). */
#define VKW_ACCEPT_PAUSE_MS 1000
/* The default --cleanup-timeout: destroying even a big client's objects
 * takes far less; a worker still busy after this is stuck. */
#define VKW_CLEANUP_TIMEOUT_S 30
/* The default --spare-workers, and the most: each spare holds a started
 * driver (tens of MiB on lavapipe).  Two, because a guest process makes
 * two connections as it starts (the instance extensions, then its
 * instance), and the second must find a spare ready too. */
#define VKW_SPARE_WORKERS 2
#define VKW_SPARE_WORKERS_MAX 64
/* After a spare ends before serving anyone (a driver that crashes as it
 * starts, a spare killed), the wait before the next one, doubled each
 * time it happens again up to the longest, back to the shortest once a
 * spare has served a client: never a fork loop. */
#define VKW_SPARE_RETRY_MIN_MS 100
#define VKW_SPARE_RETRY_MAX_MS 60000
/* How long a spare started to replace one just taken waits before it
 * starts the driver: meanwhile the client that took the other makes its
 * instance and device, and the two would compete for the CPU
 * (vkw_server_spare.c). */
#define VKW_SPARE_WARM_DELAY_MS 1000

struct worker {
    pid_t pid;
    unsigned long client;
    int report_fd;     /* read end of its report pipe */
    int watch_fd;      /* the parent's copy of the client's socket; -1 once it hung up */
    long long left_at; /* when the client hung up (monotonic ms); 0 while connected */
    bool killed;       /* still busy --cleanup-timeout after that: killed */
    /* It was a spare: its report starts with VKW_SPARE_TAKEN once it took
     * the client; without it, the client was never read from and is
     * served by a fresh worker. */
    bool spare;
};

/* A spare worker waiting for a client (vkw_server.h). */
struct spare {
    pid_t pid;
    int handoff_fd; /* the parent's end of its socketpair */
    int report_fd;  /* read end of its report pipe */
};

struct server {
    struct vkw_listener *listener;
    struct worker *workers;
    size_t count, capacity;
    unsigned long next_client;
    unsigned long max_clients; /* 0: no limit */
    int cleanup_timeout_ms;    /* a worker's time to end once its client left */
    /* Each client's limits, for its worker's renderer (0: the default). */
    struct vkw_renderer_options options;
    const char *address;         /* the listener's, for the spares */
    struct spare *spares;        /* room for spares_wanted */
    size_t spare_count;
    size_t spares_taken;         /* handed a client and not replaced yet */
    unsigned long spares_wanted; /* --spare-workers */
    long long spare_due;         /* no spare is started before this (monotonic ms) */
    int spare_retry_ms;          /* the wait after the next spare that ends unused */
    bool stopping;               /* shutting down: no new workers */
    /* The main loop's poll set, and the worker behind each watched socket
     * in it (here, not on main's stack, so that a worker frees them). */
    struct pollfd *poll_set;
    pid_t *watched;
    size_t poll_room;
};

static int wake_pipe[2] = {-1, -1};
static volatile sig_atomic_t stop_requests; /* SIGINT/SIGTERM seen */

static void on_signal(int sig)
{
    const int saved = errno;
    if (sig == SIGINT || sig == SIGTERM)
        stop_requests = stop_requests + 1;
    if (write(wake_pipe[1], "x", 1) < 0) {
        /* full: the loop is already due to wake */
    }
    errno = saved;
}

static int setup_signals(void)
{
    if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return -errno;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    /* SA_NOCLDSTOP: a worker stopped by a debugger has not ended. */
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    if (sigaction(SIGCHLD, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0 ||
        sigaction(SIGTERM, &sa, NULL) != 0)
        return -errno;
    signal(SIGPIPE, SIG_IGN); /* a vanished client is an error return, not death */
    return 0;
}

static void drain_wake_pipe(void)
{
    char buf[64];
    while (read(wake_pipe[0], buf, sizeof(buf)) > 0) {
    }
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- how a worker ended ---- */

/* The worker's own line, if it wrote one before it ended. */
static void read_report(int fd, char *out, size_t size)
{
    size_t n = 0;
    while (n + 1 < size) {
        ssize_t r = read(fd, out + n, size - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    out[n] = '\0';
}

/* How a process ended, for a person: "signal 9 (Killed)", "exit status 14". */
static void describe_status(int status, char *out, size_t size)
{
    if (WIFSIGNALED(status))
        snprintf(out, size, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(out, size, "exit status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void log_end(const struct worker *w, int status, const char *report)
{
    const char *why = report[0] ? report : "no reason given";

    if (w->killed) {
        vkw_log(VKW_LOG_ERROR, "client %lu worker killed: still busy after its client left", w->client);
        return;
    }
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        vkw_log(VKW_LOG_ERROR, "client %lu worker crashed: signal %d (%s)", w->client, sig,
                strsignal(sig));
        return;
    }
    if (!WIFEXITED(status))
        return;
    switch (WEXITSTATUS(status)) {
    case VKW_WORKER_CLEAN:
    case VKW_WORKER_CONNECTION_LOST:
    case VKW_WORKER_SHUTDOWN:
        vkw_log(VKW_LOG_INFO, "client %lu disconnected: %s", w->client, why);
        break;
    case VKW_WORKER_PROTOCOL_ERROR:
        vkw_log(VKW_LOG_INFO, "client %lu ended: %s", w->client, why);
        break;
    case VKW_WORKER_REFUSED:
        vkw_log(VKW_LOG_INFO, "client %lu refused: %s", w->client, why);
        break;
    case VKW_WORKER_START_FAILED:
        vkw_log(VKW_LOG_ERROR, "client %lu: %s", w->client, why);
        break;
    default:
        /* e.g. a sanitizer's exit status: the worker did not finish its
         * own way. */
        vkw_log(VKW_LOG_ERROR, "client %lu worker failed: exit status %d (%s)", w->client,
                WEXITSTATUS(status), why);
        break;
    }
}

/* A spare ended before it served anyone: wait before starting the next,
 * longer each time this happens again. */
static void spare_lost(struct server *s)
{
    s->spare_due = now_ms() + s->spare_retry_ms;
    s->spare_retry_ms = s->spare_retry_ms * 2 > VKW_SPARE_RETRY_MAX_MS
                            ? VKW_SPARE_RETRY_MAX_MS
                            : s->spare_retry_ms * 2;
}

static pid_t start_worker(struct server *s, struct vkw_conn *conn, unsigned long client,
                          const char *who);

/* Worker `w` (already out of the table) has ended with `status`. */
static void worker_ended(struct server *s, struct worker w, int status)
{
    char report[512], how[64];
    read_report(w.report_fd, report, sizeof(report));
    close(w.report_fd);
    describe_status(status, how, sizeof(how));
    if (w.spare && w.client == 0) { /* a spare that could not be handed its client */
        vkw_log(VKW_LOG_VERBOSE, "spare worker pid %ld ended: %s", (long)w.pid, how);
        return;
    }
    const bool taken = !w.spare || report[0] == VKW_SPARE_TAKEN;
    if (taken) {
        if (w.spare)
            s->spare_retry_ms = VKW_SPARE_RETRY_MIN_MS; /* spares work */
        log_end(&w, status, report + (w.spare ? 1 : 0));
        if (w.watch_fd >= 0)
            close(w.watch_fd);
        return;
    }
    /* The spare never read from the client: serve it as if it had just
     * come, from the socket we still watch (unless it left, or the server
     * is stopping). */
    if (s->stopping || w.watch_fd < 0) {
        vkw_log(VKW_LOG_INFO, "client %lu disconnected: %s before a worker took it", w.client,
                s->stopping ? "server shutting down" : "it left");
        if (w.watch_fd >= 0)
            close(w.watch_fd);
        return;
    }
    spare_lost(s);
    vkw_log(VKW_LOG_ERROR,
            "client %lu: its spare worker (pid %ld) ended before it took the client: %s (%s); "
            "starting a worker for it",
            w.client, (long)w.pid, how, report[0] ? report : "no reason given");
    struct vkw_conn *conn = NULL;
    char err[256];
    const int fd = fcntl(w.watch_fd, F_DUPFD_CLOEXEC, 0);
    close(w.watch_fd);
    if (fd < 0 || vkw_conn_adopt(s->address, fd, &conn, err, sizeof(err)) < 0) {
        vkw_log(VKW_LOG_ERROR, "client %lu refused: %s", w.client,
                fd < 0 ? strerror(errno) : err);
        return;
    }
    const pid_t pid = start_worker(s, conn, w.client, "");
    if (pid > 0)
        vkw_log(VKW_LOG_INFO, "client %lu: worker pid %ld", w.client, (long)pid);
}

/* Spare `i` has ended with `status`: unused. */
static void spare_ended(struct server *s, size_t i, int status)
{
    const struct spare sp = s->spares[i];
    s->spares[i] = s->spares[--s->spare_count];
    char report[512], how[64];
    read_report(sp.report_fd, report, sizeof(report));
    close(sp.report_fd);
    close(sp.handoff_fd);
    describe_status(status, how, sizeof(how));
    if (s->stopping) {
        vkw_log(VKW_LOG_VERBOSE, "spare worker pid %ld stopped: %s", (long)sp.pid, how);
        return;
    }
    const int wait = s->spare_retry_ms;
    spare_lost(s);
    vkw_log(VKW_LOG_ERROR,
            "spare worker pid %ld ended before it served anyone: %s (%s); the next in %d ms",
            (long)sp.pid, how, report[0] ? report : "no reason given", wait);
}

/* Collect every worker and spare that has ended, without blocking. */
static void reap(struct server *s)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid <= 0)
            return;
        for (size_t i = 0; i < s->spare_count; i++)
            if (s->spares[i].pid == pid) {
                spare_ended(s, i, status);
                break;
            }
        for (size_t i = 0; i < s->count; i++) {
            if (s->workers[i].pid != pid)
                continue;
            const struct worker w = s->workers[i];
            s->workers[i] = s->workers[--s->count];
            worker_ended(s, w, status);
            break;
        }
    }
}

/* ---- workers and spares ---- */

/* In a new child: drop what belongs to the parent and to other clients. */
static void leave_parent(struct server *s)
{
    /* The parent's handlers write to its wake pipe, which is not ours:
     * back to the defaults (SIGINT: ignored, see vkw_server_worker.c)
     * while the signals are still blocked, then let them in once the
     * worker has its own. */
    struct sigaction sa = {.sa_handler = SIG_DFL};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGINT, SIG_IGN);
    for (size_t i = 0; i < s->count; i++) {
        close(s->workers[i].report_fd);
        /* Other clients' sockets: held here, they would never see EOF. */
        if (s->workers[i].watch_fd >= 0)
            close(s->workers[i].watch_fd);
    }
    for (size_t i = 0; i < s->spare_count; i++) {
        close(s->spares[i].report_fd);
        close(s->spares[i].handoff_fd);
    }
    free(s->workers);
    free(s->spares);
    free(s->poll_set);
    free(s->watched);
    /* Only the process that bound the socket removes its file, so this
     * just closes the worker's copy of the descriptor. */
    vkw_listener_close(s->listener);
    close(wake_pipe[0]);
    close(wake_pipe[1]);
}

/* fork, with the signals blocked until the child has its own handlers
 * (vkw_worker_start); the parent takes them again at once.  `old`
 * receives the mask the child restores. */
static pid_t fork_child(sigset_t *old)
{
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, old);
    const pid_t pid = fork();
    if (pid != 0)
        sigprocmask(SIG_SETMASK, old, NULL);
    return pid;
}

/* A report pipe.  Non-blocking read end: the report is read once the
 * worker has exited, and must not wait on anyone else holding the write
 * end. */
static int report_pipe(int report[2])
{
    if (pipe2(report, O_CLOEXEC) != 0)
        return -errno;
    fcntl(report[0], F_SETFL, O_NONBLOCK); /* cannot fail on a fresh pipe */
    return 0;
}

/* Room for one more worker in the table. */
static bool worker_room(struct server *s)
{
    if (s->count < s->capacity)
        return true;
    size_t cap = s->capacity ? s->capacity * 2 : 16;
    struct worker *w = realloc(s->workers, cap * sizeof(*w));
    if (!w)
        return false;
    s->workers = w;
    s->capacity = cap;
    return true;
}

/* Serve `conn` (taken over) from a fresh worker: its pid, or -1 when it
 * could not start (logged, and the client turned away). */
static pid_t start_worker(struct server *s, struct vkw_conn *conn, unsigned long client,
                          const char *who)
{
    int report[2];
    if (!worker_room(s)) {
        vkw_log(VKW_LOG_ERROR, "client %lu%s refused: out of memory", client, who);
        vkw_conn_close(conn);
        return -1;
    }
    int rc = report_pipe(report);
    if (rc < 0) {
        vkw_log(VKW_LOG_ERROR, "client %lu%s refused: cannot make a pipe: %s", client, who,
                strerror(-rc));
        vkw_conn_close(conn);
        return -1;
    }
    sigset_t old;
    const pid_t parent = getpid();
    const pid_t pid = fork_child(&old);
    if (pid < 0) {
        vkw_log(VKW_LOG_ERROR, "client %lu%s refused: cannot start a worker: %s", client, who,
                strerror(errno));
        close(report[0]);
        close(report[1]);
        vkw_conn_close(conn);
        return -1;
    }
    if (pid == 0) {
        close(report[0]);
        leave_parent(s);
        const struct vkw_worker_config config = {.client = client,
                                                 .parent = parent,
                                                 .report_fd = report[1],
                                                 .unblocked = &old,
                                                 .renderer_options = &s->options};
        const int code = vkw_worker_run(conn, &config);
        close(report[1]);
        /* exit, not _exit: stdio and sanitizers' leak checks run as in any
         * process that ends. */
        exit(code);
    }
    close(report[1]);
    /* The worker has its own copy; this one only tells when the client
     * hangs up (-1 if it cannot be made: that worker is not watched). */
    const int watch = fcntl(vkw_conn_fd(conn), F_DUPFD_CLOEXEC, 0);
    vkw_conn_close(conn);
    s->workers[s->count++] = (struct worker){
        .pid = pid, .client = client, .report_fd = report[0], .watch_fd = watch};
    return pid;
}

/* Start spares until there are as many as wanted, unless one ended
 * unused too recently. */
static void start_spares(struct server *s)
{
    while (s->spare_count < s->spares_wanted && now_ms() >= s->spare_due) {
        int pair[2], report[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
            vkw_log(VKW_LOG_ERROR, "cannot start a spare worker: socketpair: %s",
                    strerror(errno));
            spare_lost(s);
            return;
        }
        int rc = report_pipe(report);
        if (rc < 0) {
            vkw_log(VKW_LOG_ERROR, "cannot start a spare worker: pipe: %s", strerror(-rc));
            close(pair[0]);
            close(pair[1]);
            spare_lost(s);
            return;
        }
        sigset_t old;
        const pid_t parent = getpid();
        const pid_t pid = fork_child(&old);
        if (pid < 0) {
            vkw_log(VKW_LOG_ERROR, "cannot start a spare worker: %s", strerror(errno));
            close(pair[0]);
            close(pair[1]);
            close(report[0]);
            close(report[1]);
            spare_lost(s);
            return;
        }
        const int delay = s->spares_taken ? VKW_SPARE_WARM_DELAY_MS : 0;
        if (pid == 0) {
            close(pair[0]);
            close(report[0]);
            const char *address = s->address;
            const struct vkw_renderer_options options = s->options;
            leave_parent(s);
            const struct vkw_worker_config config = {.client = 0,
                                                     .parent = parent,
                                                     .report_fd = report[1],
                                                     .unblocked = &old,
                                                     .renderer_options = &options};
            const int code = vkw_spare_run(pair[1], address, delay, &config);
            close(report[1]);
            exit(code);
        }
        close(pair[1]);
        close(report[1]);
        if (s->spares_taken)
            s->spares_taken--;
        s->spares[s->spare_count++] =
            (struct spare){.pid = pid, .handoff_fd = pair[0], .report_fd = report[0]};
        vkw_log(VKW_LOG_VERBOSE, "spare worker pid %ld started", (long)pid);
    }
}

/* Give `conn` (taken over) to the spare that has waited longest: its pid,
 * or -1 when it could not be handed (that spare is then ended, and the
 * caller serves the client another way). */
static pid_t hand_to_spare(struct server *s, struct vkw_conn *conn, unsigned long client)
{
    const struct spare sp = s->spares[0];
    memmove(s->spares, s->spares + 1, --s->spare_count * sizeof(*s->spares));
    /* The watch first: a spare that ends before taking the client leaves
     * it to us, and this is the socket we would serve it from. */
    const int watch = fcntl(vkw_conn_fd(conn), F_DUPFD_CLOEXEC, 0);
    const int rc = watch < 0 ? -errno : vkw_spare_hand(sp.handoff_fd, client, vkw_conn_fd(conn));
    /* Closing our end after the message: the spare reads the message,
     * then the end of the socket. */
    close(sp.handoff_fd);
    if (rc < 0) {
        vkw_log(VKW_LOG_ERROR, "client %lu: cannot hand it to spare worker pid %ld: %s",
                client, (long)sp.pid, strerror(-rc));
        if (watch >= 0)
            close(watch);
        /* It ends unused (SIGTERM while it waits), and is reaped as any. */
        kill(sp.pid, SIGTERM);
        s->workers[s->count++] = (struct worker){
            .pid = sp.pid, .client = 0, .report_fd = sp.report_fd, .watch_fd = -1, .spare = true};
        return -1;
    }
    vkw_conn_close(conn);
    s->spares_taken++;
    s->workers[s->count++] = (struct worker){.pid = sp.pid,
                                             .client = client,
                                             .report_fd = sp.report_fd,
                                             .watch_fd = watch,
                                             .spare = true};
    return sp.pid;
}

static void accept_client(struct server *s, long long *paused_until)
{
    struct vkw_conn *conn;
    char err[256];
    int rc = vkw_listener_accept(s->listener, &conn, err, sizeof(err));
    if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR)
        return; /* the client gave up before we got to it, or a signal came */
    if (rc < 0) {
        vkw_log(VKW_LOG_ERROR, "%s", err);
        if (rc == -EMFILE || rc == -ENFILE || rc == -ENOMEM || rc == -ENOBUFS)
            *paused_until = now_ms() + VKW_ACCEPT_PAUSE_MS;
        return;
    }
    const unsigned long client = ++s->next_client;
    char who[48] = "";
    int peer;
    if (vkw_conn_peer_pid(conn, &peer))
        snprintf(who, sizeof(who), " (pid %d)", peer);

    /* Spares are not clients: they do not count. */
    if (s->max_clients && s->count >= s->max_clients) {
        vkw_log(VKW_LOG_INFO, "client %lu%s refused: %zu clients already connected (--max-clients %lu)",
                client, who, s->count, s->max_clients);
        vkw_conn_close(conn);
        return;
    }
    pid_t pid = -1;
    /* Room first: a spare once handed its client must be in the table. */
    if (s->spare_count > 0 && worker_room(s))
        pid = hand_to_spare(s, conn, client);
    if (pid < 0)
        pid = start_worker(s, conn, client, who);
    if (pid > 0)
        vkw_log(VKW_LOG_INFO, "client %lu%s connected; worker pid %ld", client, who, (long)pid);
}

/* ---- clients that left while their worker is busy ---- */

static void client_left(struct server *s, pid_t pid)
{
    for (size_t i = 0; i < s->count; i++) {
        struct worker *w = &s->workers[i];
        if (w->pid != pid || w->watch_fd < 0)
            continue;
        close(w->watch_fd); /* the socket's state stays hung up: no more polling */
        w->watch_fd = -1;
        w->left_at = now_ms();
        return;
    }
}

/* The earliest time something is due: a worker's cleanup deadline, or
 * `other` (0: nothing); 0 when nothing is. */
static long long next_deadline(const struct server *s, long long other)
{
    long long due = other;
    for (size_t i = 0; i < s->count; i++) {
        const struct worker *w = &s->workers[i];
        if (w->left_at && !w->killed) {
            const long long d = w->left_at + s->cleanup_timeout_ms;
            if (!due || d < due)
                due = d;
        }
    }
    return due;
}

static void kill_stuck(struct server *s)
{
    const long long now = now_ms();
    for (size_t i = 0; i < s->count; i++) {
        struct worker *w = &s->workers[i];
        if (!w->left_at || w->killed || now < w->left_at + s->cleanup_timeout_ms)
            continue;
        vkw_log(VKW_LOG_ERROR,
                "client %lu worker still busy %d s after its client left (--cleanup-timeout): "
                "killing pid %ld",
                w->client, s->cleanup_timeout_ms / 1000, (long)w->pid);
        kill(w->pid, SIGKILL);
        w->killed = true;
    }
}

/* ---- shutdown ---- */

static void stop_workers(struct server *s)
{
    s->stopping = true;
    for (size_t i = 0; i < s->count; i++)
        kill(s->workers[i].pid, SIGTERM);
    for (size_t i = 0; i < s->spare_count; i++)
        kill(s->spares[i].pid, SIGTERM);
    const long long deadline = now_ms() + VKW_SHUTDOWN_GRACE_MS;
    const sig_atomic_t requests = stop_requests;
    while (s->count + s->spare_count > 0) {
        reap(s);
        const long long left = deadline - now_ms();
        if (s->count + s->spare_count == 0 || left <= 0 || stop_requests != requests)
            break; /* done, out of patience, or asked again: no more waiting */
        struct pollfd p = {.fd = wake_pipe[0], .events = POLLIN};
        if (poll(&p, 1, (int)left) > 0)
            drain_wake_pipe();
    }
    for (size_t i = 0; i < s->count; i++) {
        vkw_log(VKW_LOG_ERROR, "client %lu worker did not stop in time: killing pid %ld",
                s->workers[i].client, (long)s->workers[i].pid);
        kill(s->workers[i].pid, SIGKILL);
    }
    for (size_t i = 0; i < s->spare_count; i++) {
        vkw_log(VKW_LOG_ERROR, "spare worker did not stop in time: killing pid %ld",
                (long)s->spares[i].pid);
        kill(s->spares[i].pid, SIGKILL);
    }
    /* SIGKILL cannot be ignored: these waits are short. */
    while (s->count + s->spare_count > 0) {
        int status;
        const pid_t pid = waitpid(s->count ? s->workers[0].pid : s->spares[0].pid, &status, 0);
        if (pid < 0 && errno == EINTR)
            continue;
        if (s->count) {
            const struct worker w = s->workers[0];
            s->workers[0] = s->workers[--s->count];
            if (pid > 0) {
                worker_ended(s, w, status);
            } else { /* not ours to wait for after all: nothing to say */
                close(w.report_fd);
                if (w.watch_fd >= 0)
                    close(w.watch_fd);
            }
        } else if (pid > 0) {
            spare_ended(s, 0, status);
        } else {
            close(s->spares[0].report_fd);
            close(s->spares[0].handoff_fd);
            s->spares[0] = s->spares[--s->spare_count];
        }
    }
}

/* ---- command line ---- */

static void usage(FILE *f)
{
    char address[512];
    vkw_transport_default_address(address, sizeof(address));
    fprintf(f,
            "Usage: vkwire-server [OPTION]...\n"
            "Serve Vulkan to vkwire guests: each client's commands run on this machine's\n"
            "Vulkan driver, in a worker process of its own.\n"
            "\n"
            "  -l, --listen=ADDRESS     where to listen (default: %s);\n"
            "                           unix:PATH makes PATH's folder 0700 if missing\n"
            "                           and the socket 0600\n"
            "  -m, --max-clients=N      refuse clients beyond N at once (default: no limit)\n"
            "\n"
            "Limits for each client (a client that would pass one is ended with a\n"
            "'limit' protocol error that names it; SIZE takes K, M, G, T for powers of 1024):\n"
            "      --max-objects=N      live Vulkan objects (default 1048576)\n"
            "      --max-memory=SIZE    device memory its allocations hold at once (default 16G)\n"
            "      --max-in-flight=N    queue batches submitted and not yet finished (default 4096)\n"
            "      --max-blocking=N     calls that may block (waits, compiles) in progress at\n"
            "                           once, each on a thread of its own (default 64)\n"
            "      --max-message-size=SIZE\n"
            "                           one message it sends, and the replies to one\n"
            "                           (default and most: 256M)\n"
            "\n"
            "      --cleanup-timeout=SECONDS\n"
            "                           a worker still busy this long after its client\n"
            "                           left is killed (default %d)\n"
            "      --spare-workers=N    workers kept started ahead, each with the driver\n"
            "                           loaded, so that a new client is served at once\n"
            "                           (default %d; 0: start each worker when its\n"
            "                           client comes)\n"
            "  -q, --quiet              log only errors and crashed workers\n"
            "  -v, --verbose            log more (handshakes, teardown details)\n"
            "  -h, --help               show this help and exit\n"
            "  -V, --version            show the version and exit\n"
            "\n"
            "Runs in the foreground and logs one line per event to stderr.  SIGINT or\n"
            "SIGTERM stops it: workers get SIGTERM and %d seconds to destroy their\n"
            "clients' objects, then SIGKILL; the socket file is removed.\n"
            "\n"
            "The Vulkan driver is the one the loader picks; choose it with the loader's\n"
            "environment, e.g. VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json.\n"
            "\n"
            "Exit status:\n"
            "  0  stopped by SIGINT or SIGTERM (or --help, --version)\n"
            "  1  could not start (e.g. cannot listen on ADDRESS)\n"
            "  2  bad command line\n",
            address, VKW_CLEANUP_TIMEOUT_S, VKW_SPARE_WORKERS, VKW_SHUTDOWN_GRACE_MS / 1000);
}

static void version(void)
{
    struct vkw_hello h;
    vkw_hello_local(&h);
    printf("vkwire-server (vkwire) %s\nprotocol %u.%u, Vulkan registry %u.%u.%u\n",
           PACKAGE_VERSION, h.major, h.minor, VKW_XML_MAJOR(h.vk_xml_version),
           VKW_XML_MINOR(h.vk_xml_version), VKW_XML_PATCH(h.vk_xml_version));
}

/* A size: digits, then optionally K, M, G or T (powers of 1024). */
static bool parse_size(const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || text[0] == '-')
        return false;
    unsigned shift = 0;
    switch (*end) {
    case '\0': break;
    case 'K': case 'k': shift = 10; end++; break;
    case 'M': case 'm': shift = 20; end++; break;
    case 'G': case 'g': shift = 30; end++; break;
    case 'T': case 't': shift = 40; end++; break;
    default: return false;
    }
    if (*end || (shift && v > (UINT64_MAX >> shift)))
        return false;
    *out = (uint64_t)v << shift;
    return true;
}

static bool parse_count(const char *text, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-')
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"listen", required_argument, NULL, 'l'},
        {"max-clients", required_argument, NULL, 'm'},
        {"max-objects", required_argument, NULL, OPT_MAX_OBJECTS},
        {"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
        {"max-in-flight", required_argument, NULL, OPT_MAX_IN_FLIGHT},
        {"max-blocking", required_argument, NULL, OPT_MAX_BLOCKING},
        {"max-message-size", required_argument, NULL, OPT_MAX_MESSAGE},
        {"cleanup-timeout", required_argument, NULL, OPT_CLEANUP_TIMEOUT},
        {"spare-workers", required_argument, NULL, OPT_SPARE_WORKERS},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    char address[PATH_MAX + 16] = "";
    struct server s = {.cleanup_timeout_ms = VKW_CLEANUP_TIMEOUT_S * 1000,
                       .spares_wanted = VKW_SPARE_WORKERS,
                       .spare_retry_ms = VKW_SPARE_RETRY_MIN_MS};
    s.options = (struct vkw_renderer_options)VKW_RENDERER_OPTIONS_INIT;
    int opt;
    uint64_t size;
    unsigned long count;
    while ((opt = getopt_long(argc, argv, "l:m:qvhV", options, NULL)) != -1) {
        switch (opt) {
        case 'l':
            if (strlen(optarg) >= sizeof(address)) {
                fprintf(stderr, "vkwire-server: --listen: the address is too long\n");
                return VKW_SERVER_EXIT_USAGE;
            }
            strcpy(address, optarg);
            break;
        case 'm':
            if (!parse_count(optarg, &s.max_clients)) {
                fprintf(stderr, "vkwire-server: --max-clients wants a number, not '%s'\n",
                        optarg);
                return VKW_SERVER_EXIT_USAGE;
            }
            break;
        case OPT_MAX_OBJECTS:
        case OPT_MAX_IN_FLIGHT:
        case OPT_MAX_BLOCKING:
            if (!parse_count(optarg, &count) || count == 0) {
                fprintf(stderr, "vkwire-server: --%s wants a number above 0, not '%s'\n",
                        opt == OPT_MAX_OBJECTS     ? "max-objects"
                        : opt == OPT_MAX_IN_FLIGHT ? "max-in-flight"
                                                   : "max-blocking",
                        optarg);
                return VKW_SERVER_EXIT_USAGE;
            }
            *(opt == OPT_MAX_OBJECTS     ? &s.options.max_objects
              : opt == OPT_MAX_IN_FLIGHT ? &s.options.max_in_flight
                                         : &s.options.max_blocking) = count;
            break;
        case OPT_MAX_MEMORY:
            if (!parse_size(optarg, &size) || size == 0) {
                fprintf(stderr, "vkwire-server: --max-memory wants a size above 0, not '%s'\n",
                        optarg);
                return VKW_SERVER_EXIT_USAGE;
            }
            s.options.max_memory_bytes = size;
            break;
        case OPT_MAX_MESSAGE:
            if (!parse_size(optarg, &size) || size < VKW_MIN_MESSAGE_LIMIT ||
                size > VKW_MAX_MESSAGE_BYTES) {
                fprintf(stderr,
                        "vkwire-server: --max-message-size wants a size from %u to 256M, not "
                        "'%s'\n",
                        (unsigned)VKW_MIN_MESSAGE_LIMIT, optarg);
                return VKW_SERVER_EXIT_USAGE;
            }
            s.options.max_message_bytes = (size_t)size;
            break;
        case OPT_CLEANUP_TIMEOUT:
            if (!parse_count(optarg, &count) || count == 0 || count > 86400) {
                fprintf(stderr,
                        "vkwire-server: --cleanup-timeout wants seconds from 1 to 86400, not "
                        "'%s'\n",
                        optarg);
                return VKW_SERVER_EXIT_USAGE;
            }
            s.cleanup_timeout_ms = (int)count * 1000;
            break;
        case OPT_SPARE_WORKERS:
            if (!parse_count(optarg, &s.spares_wanted) || s.spares_wanted > VKW_SPARE_WORKERS_MAX) {
                fprintf(stderr,
                        "vkwire-server: --spare-workers wants a number from 0 to %d, not '%s'\n",
                        VKW_SPARE_WORKERS_MAX, optarg);
                return VKW_SERVER_EXIT_USAGE;
            }
            break;
        case 'q':
            vkw_log_threshold = VKW_LOG_ERROR;
            break;
        case 'v':
            vkw_log_threshold = VKW_LOG_VERBOSE;
            break;
        case 'h':
            usage(stdout);
            return VKW_SERVER_EXIT_OK;
        case 'V':
            version();
            return VKW_SERVER_EXIT_OK;
        default:
            fprintf(stderr, "Try 'vkwire-server --help' for more information.\n");
            return VKW_SERVER_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "vkwire-server: unexpected argument '%s'\n"
                        "Try 'vkwire-server --help' for more information.\n",
                argv[optind]);
        return VKW_SERVER_EXIT_USAGE;
    }
    if (!address[0])
        vkw_transport_default_address(address, sizeof(address));
    s.address = address;
    if (s.spares_wanted && !(s.spares = calloc(s.spares_wanted, sizeof(*s.spares)))) {
        vkw_log(VKW_LOG_ERROR, "out of memory");
        return VKW_SERVER_EXIT_FAILURE;
    }

    int rc = setup_signals();
    if (rc < 0) {
        vkw_log(VKW_LOG_ERROR, "cannot set up signal handling: %s", strerror(-rc));
        return VKW_SERVER_EXIT_FAILURE;
    }
    char err[512];
    rc = vkw_transport_listen(address, &s.listener, err, sizeof(err));
    if (rc < 0) {
        vkw_log(VKW_LOG_ERROR, "%s", err);
        return VKW_SERVER_EXIT_FAILURE;
    }
    /* Readable says a client was waiting; if it left before accept, a
     * non-blocking accept returns at once instead of stalling the loop. */
    const int lfd = vkw_listener_fd(s.listener);
    fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
    vkw_log(VKW_LOG_INFO, "listening on %s (pid %ld)", address, (long)getpid());
    const char *drivers = getenv("VK_DRIVER_FILES");
    if (!drivers)
        drivers = getenv("VK_ICD_FILENAMES");
    vkw_log(VKW_LOG_VERBOSE, "Vulkan drivers: %s", drivers ? drivers : "the loader's default");
    vkw_log(VKW_LOG_VERBOSE,
            "limits per client: %zu objects, %llu memory bytes, %zu batches in flight, "
            "%zu-byte messages, %zu blocking calls (0: the default)",
            s.options.max_objects, (unsigned long long)s.options.max_memory_bytes,
            s.options.max_in_flight, s.options.max_message_bytes, s.options.max_blocking);

    int status = VKW_SERVER_EXIT_OK;
    long long paused_until = 0;
    while (stop_requests == 0) {
        start_spares(&s);
        if (s.poll_room < s.count + 2) {
            s.poll_room = s.count + 16;
            free(s.poll_set);
            free(s.watched);
            s.poll_set = malloc(s.poll_room * sizeof(*s.poll_set));
            s.watched = malloc(s.poll_room * sizeof(*s.watched));
            if (!s.poll_set || !s.watched) {
                vkw_log(VKW_LOG_ERROR, "out of memory");
                status = VKW_SERVER_EXIT_FAILURE;
                break;
            }
        }
        struct pollfd *p = s.poll_set;
        pid_t *watched = s.watched;
        const long long now = now_ms();
        const bool paused = now < paused_until;
        p[0] = (struct pollfd){.fd = wake_pipe[0], .events = POLLIN};
        p[1] = (struct pollfd){.fd = paused ? -1 : lfd, .events = POLLIN};
        nfds_t np = 2;
        for (size_t i = 0; i < s.count; i++) {
            if (s.workers[i].watch_fd < 0)
                continue;
            watched[np] = s.workers[i].pid;
            /* POLLRDHUP only: the worker reads the client's bytes, not us. */
            p[np++] = (struct pollfd){.fd = s.workers[i].watch_fd, .events = POLLRDHUP};
        }
        long long due = next_deadline(&s, paused ? paused_until : 0);
        if (s.spare_count < s.spares_wanted && (!due || s.spare_due < due))
            due = s.spare_due; /* a spare to start once it may */
        const int timeout = due ? (int)(due > now ? due - now : 0) : -1;
        int n = poll(p, np, timeout);
        if (n < 0 && errno != EINTR) {
            vkw_log(VKW_LOG_ERROR, "poll failed: %s", strerror(errno));
            status = VKW_SERVER_EXIT_FAILURE;
            break;
        }
        for (nfds_t k = 2; n > 0 && k < np; k++)
            if (p[k].revents)
                client_left(&s, watched[k]);
        kill_stuck(&s);
        if (n > 0 && p[0].revents) {
            drain_wake_pipe();
            reap(&s);
        }
        if (stop_requests)
            break;
        if (n > 0 && !paused && p[1].revents)
            accept_client(&s, &paused_until);
    }
    free(s.poll_set);
    free(s.watched);
    s.poll_set = NULL;
    s.watched = NULL;

    vkw_log(VKW_LOG_INFO, "shutting down");
    vkw_listener_close(s.listener); /* no new clients; removes the socket */
    stop_workers(&s);
    free(s.workers);
    free(s.spares);
    close(wake_pipe[0]);
    close(wake_pipe[1]);
    return status;
}
