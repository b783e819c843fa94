/* vkwire-server — serves vkwire guests, one worker process per client.
 *
 * Owns: the command line, the listening socket, the table of workers, and
 * the parent's loop: accept a client, fork a worker for it, reap workers as
 * they end and log how each one did, end a worker still busy long after
 * its client left, and shut down cleanly on SIGINT or SIGTERM (stop
 * accepting, ask the workers to stop, wait a bounded time, kill what is
 * left, remove the socket).
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
 * be shared, half-copied, by every worker.  Each worker creates its own
 * renderer after fork (vkw_server_worker.c).
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

struct worker {
    pid_t pid;
    unsigned long client;
    int report_fd;     /* read end of its report pipe */
    int watch_fd;      /* the parent's copy of the client's socket; -1 once it hung up */
    long long left_at; /* when the client hung up (monotonic ms); 0 while connected */
    bool killed;       /* still busy --cleanup-timeout after that: killed */
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

static void log_end(const struct worker *w, int status)
{
    char report[512];
    read_report(w->report_fd, report, sizeof(report));
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

/* Collect every worker that has ended, without blocking. */
static void reap(struct server *s)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid <= 0)
            return;
        for (size_t i = 0; i < s->count; i++) {
            if (s->workers[i].pid != pid)
                continue;
            log_end(&s->workers[i], status);
            close(s->workers[i].report_fd);
            if (s->workers[i].watch_fd >= 0)
                close(s->workers[i].watch_fd);
            s->workers[i] = s->workers[--s->count];
            break;
        }
    }
}

/* ---- clients ---- */

/* In the new worker: drop what belongs to the parent and to other
 * clients, then serve. */
static void become_worker(struct server *s, struct vkw_conn *conn, unsigned long client,
                          pid_t parent, int report_fd, const sigset_t *unblocked)
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
    free(s->workers);
    free(s->poll_set);
    free(s->watched);
    /* Only the process that bound the socket removes its file, so this
     * just closes the worker's copy of the descriptor. */
    vkw_listener_close(s->listener);
    close(wake_pipe[0]);
    close(wake_pipe[1]);

    const struct vkw_worker_config config = {.client = client,
                                             .parent = parent,
                                             .report_fd = report_fd,
                                             .unblocked = unblocked,
                                             .renderer_options = &s->options};
    const int code = vkw_worker_run(conn, &config);
    close(report_fd);
    /* exit, not _exit: stdio and sanitizers' leak checks run as in any
     * process that ends. */
    exit(code);
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

    if (s->max_clients && s->count >= s->max_clients) {
        vkw_log(VKW_LOG_INFO, "client %lu%s refused: %zu clients already connected (--max-clients %lu)",
                client, who, s->count, s->max_clients);
        vkw_conn_close(conn);
        return;
    }
    if (s->count == s->capacity) {
        size_t cap = s->capacity ? s->capacity * 2 : 16;
        struct worker *w = realloc(s->workers, cap * sizeof(*w));
        if (!w) {
            vkw_log(VKW_LOG_ERROR, "client %lu%s refused: out of memory", client, who);
            vkw_conn_close(conn);
            return;
        }
        s->workers = w;
        s->capacity = cap;
    }
    int report[2];
    /* Non-blocking read end: the report is read once the worker has
     * exited, and must not wait on anyone else holding the write end. */
    if (pipe2(report, O_CLOEXEC) != 0) {
        vkw_log(VKW_LOG_ERROR, "client %lu%s refused: cannot make a pipe: %s", client, who,
                strerror(errno));
        vkw_conn_close(conn);
        return;
    }
    fcntl(report[0], F_SETFL, O_NONBLOCK); /* cannot fail on a fresh pipe */
    /* Signals wait until the worker has its own handlers (see
     * become_worker); the parent takes them again right after fork. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid != 0)
        sigprocmask(SIG_SETMASK, &old, NULL);
    if (pid < 0) {
        vkw_log(VKW_LOG_ERROR, "client %lu%s refused: cannot start a worker: %s", client, who,
                strerror(errno));
        close(report[0]);
        close(report[1]);
        vkw_conn_close(conn);
        return;
    }
    if (pid == 0) {
        close(report[0]);
        become_worker(s, conn, client, parent, report[1], &old); /* does not return */
    }
    close(report[1]);
    /* The worker has its own copy; this one only tells when the client
     * hangs up (-1 if it cannot be made: that worker is not watched). */
    const int watch = fcntl(vkw_conn_fd(conn), F_DUPFD_CLOEXEC, 0);
    vkw_conn_close(conn);
    s->workers[s->count++] = (struct worker){
        .pid = pid, .client = client, .report_fd = report[0], .watch_fd = watch};
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
    for (size_t i = 0; i < s->count; i++)
        kill(s->workers[i].pid, SIGTERM);
    const long long deadline = now_ms() + VKW_SHUTDOWN_GRACE_MS;
    const sig_atomic_t requests = stop_requests;
    while (s->count > 0) {
        reap(s);
        const long long left = deadline - now_ms();
        if (s->count == 0 || left <= 0 || stop_requests != requests)
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
    /* SIGKILL cannot be ignored: these waits are short. */
    while (s->count > 0) {
        int status;
        pid_t pid = waitpid(s->workers[0].pid, &status, 0);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid > 0)
            log_end(&s->workers[0], status);
        close(s->workers[0].report_fd);
        if (s->workers[0].watch_fd >= 0)
            close(s->workers[0].watch_fd);
        s->workers[0] = s->workers[--s->count];
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
            address, VKW_CLEANUP_TIMEOUT_S, VKW_SHUTDOWN_GRACE_MS / 1000);
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
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    char address[PATH_MAX + 16] = "";
    struct server s = {.cleanup_timeout_ms = VKW_CLEANUP_TIMEOUT_S * 1000};
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
        const long long due = next_deadline(&s, paused ? paused_until : 0);
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
    close(wake_pipe[0]);
    close(wake_pipe[1]);
    return status;
}
