/* Soak: many guests connecting, working and dying at random, for a bounded
 * time, on lavapipe; the host's memory must be flat at the end.
 *
 * 1. vkwire-server with low per-client limits, and CLIENTS client processes
 *    at a time, each running a random prefix of the session of
 *    tests/guest_session.h and then ending at random: closing cleanly,
 *    killed (SIGKILL), killed half-way through a message, sending garbage,
 *    breaking the protocol, or going past a limit.  The server's resident
 *    memory is sampled after a warm-up and at the end, with its open
 *    descriptors; every client must have been accounted for in the log,
 *    no worker may have crashed, and no worker may be left.
 * 2. The renderer library in one process: contexts created, fed a random
 *    prefix (or a cut message), and destroyed, over and over; the process's
 *    resident memory after a warm-up and at the end.
 *
 * "Flat": the end is within SLACK of the warm-up sample.  (Measured, not
 * assumed: the test prints both.)  A build with AddressSanitizer keeps
 * freed memory in quarantine, so there the numbers are printed but not
 * judged.
 *
 * Duration: VKW_SOAK_SECONDS (default 8: make check); make soak runs it for
 * 300 seconds.  Randomness: VKW_SOAK_SEED (default: the time; printed, so a
 * failing run can be repeated). */
#define _GNU_SOURCE /* memfd_create, setenv, prctl; before any include */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "guest_session.h"
#include "proc_util.h"
#include "tap.h"
#include "vkw_transport.h"
#include "vkwire/renderer.h"

#define CLIENTS 6
#define WAIT_MS 30000
/* Resident memory may move this much between the warm-up and the end:
 * the allocator's and the driver's caches settle, nothing grows with the
 * number of guests served. */
#define SERVER_SLACK_KB 512
#define INPROCESS_SLACK_KB 4096
/* Contexts that run the whole session before the in-process sample. */
#define WARMUP_CONTEXTS 48

static struct gs_session session;
static char server_bin[1024], tmp_dir[256], sock_address[400], log_path[400];
static unsigned seconds = 8;

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static long rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static int count_fds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
    DIR *d = opendir(path);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static int count_in(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* ---- one client ---- */

enum ending { END_CLOSE, END_KILL, END_CUT, END_GARBAGE, END_BAD_HANDLE, END_LIMIT, END_COUNT_ };

static bool wants_reply(const struct gs_message *m)
{
    for (size_t at = 0; at + 16 <= m->size;) {
        uint32_t flags, size;
        memcpy(&flags, m->data + at + 4, 4);
        memcpy(&size, m->data + at + 8, 4);
        if (flags & VKW_COMMAND_FLAG_REPLY)
            return true;
        at += 16 + (size_t)size;
    }
    return false;
}

static void client(unsigned seed)
{
    alarm(60);
    srand(seed);
    struct vkw_conn *c = NULL;
    char err[256];
    if (vkw_transport_connect(sock_address, &c, err, sizeof(err)) != 0)
        _exit(2);
    /* The ending cycles with the client's number (seeds are consecutive),
     * so that any six clients in a row end every way; how far each gets
     * stays random. */
    const enum ending end = (enum ending)(seed % END_COUNT_);
    /* at least the HELLO and the device, so that the endings mean
     * something; at most the whole session */
    const unsigned n = 2 + (unsigned)rand() % (session.count - 1);
    for (unsigned i = 0; i < n; i++) {
        const struct gs_message *m = &session.m[i];
        if (end == END_CUT && i == n - 1) {
            unsigned char frame[4] = {(uint8_t)m->size, (uint8_t)(m->size >> 8),
                                      (uint8_t)(m->size >> 16), (uint8_t)(m->size >> 24)};
            if (write(vkw_conn_fd(c), frame, 4) == 4 &&
                write(vkw_conn_fd(c), m->data, m->size / 2) > 0)
                raise(SIGKILL);
            _exit(3);
        }
        int fd = m->nfds ? gs_memfd() : -1;
        if (vkw_conn_send(c, m->data, m->size, fd >= 0 ? &fd : NULL, fd >= 0 ? 1 : 0) != 0)
            _exit(4);
        if (fd >= 0)
            close(fd);
        if (wants_reply(m) && (end != END_KILL || i + 1 < n)) {
            const void *data;
            size_t size, nfds = 0;
            int fds[VKW_TRANSPORT_MAX_FDS];
            if (vkw_conn_recv(c, &data, &size, VKW_MAX_MESSAGE_BYTES, fds, &nfds) != 0)
                _exit(5);
        }
    }
    struct tg_guest g;
    tg_init(&g);
    g.serial = 1000;
    switch (end) {
    case END_CLOSE:
    case END_CUT:
        break;
    case END_KILL:
        raise(SIGKILL); /* maybe with a reply unread, maybe mid-call */
        break;
    case END_GARBAGE: {
        uint32_t junk[32];
        for (int i = 0; i < 32; i++)
            junk[i] = (uint32_t)rand();
        vkw_conn_send(c, junk, sizeof(junk), NULL, 0);
        break;
    }
    case END_BAD_HANDLE:
        tg_destroy_buffer(&g, 0xdead);
        vkw_conn_send(c, g.w.data, g.w.size, NULL, 0);
        break;
    case END_LIMIT:
        for (uint64_t i = 0; i < 80; i++) /* the server allows 64 objects */
            tg_create_buffer(&g, 0x1000 + i, 16);
        vkw_conn_send(c, g.w.data, g.w.size, NULL, 0);
        break;
    case END_COUNT_:
        break;
    }
    if (end >= END_GARBAGE) {
        /* wait for the error reply and the server's close */
        const void *data;
        size_t size, nfds = 0;
        int fds[VKW_TRANSPORT_MAX_FDS];
        struct pollfd p = {.fd = vkw_conn_fd(c), .events = POLLIN};
        while (poll(&p, 1, 5000) == 1 &&
               vkw_conn_recv(c, &data, &size, VKW_MAX_MESSAGE_BYTES, fds, &nfds) == 0) {
        }
    }
    vkw_conn_close(c);
    tg_fini(&g);
    _exit(0);
}

/* ---- part 1: the server ---- */

static bool start_server(pid_t *pid)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof(tmp_dir), "%s/vkwire-soak-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmp_dir))
        return false;
    snprintf(sock_address, sizeof(sock_address), "unix:%s/socket", tmp_dir);
    snprintf(log_path, sizeof(log_path), "%s/server.log", tmp_dir);
    *pid = fork();
    if (*pid == 0) {
#if defined(__linux__)
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
        FILE *f = freopen(log_path, "w", stderr);
        (void)f;
        char lib[4096];
        if (TG_ASAN && manifest_library(getenv("VK_DRIVER_FILES"), lib, sizeof(lib))) {
            setenv("LD_PRELOAD", lib, 1); /* as tests/test_server.c */
            char opts[1024];
            const char *old = getenv("ASAN_OPTIONS");
            snprintf(opts, sizeof(opts), "%s%sverify_asan_link_order=0", old ? old : "",
                     old && *old ? ":" : "");
            setenv("ASAN_OPTIONS", opts, 1);
        }
        execl(server_bin, server_bin, "--listen", sock_address, "--max-objects", "64",
              "--cleanup-timeout", "10", (char *)NULL);
        _exit(127);
    }
    const long long deadline = now_ms() + WAIT_MS;
    char want[500];
    snprintf(want, sizeof(want), "listening on %s", sock_address);
    while (now_ms() < deadline) {
        char *text = slurp(log_path);
        const bool up = text && strstr(text, want);
        free(text);
        if (up)
            return true;
        usleep(10000);
    }
    return false;
}

static void test_server_soak(unsigned seed)
{
    pid_t server;
    ok(start_server(&server), "server: starts with --max-objects 64");
    pid_t running[CLIENTS] = {0};
    unsigned started = 0;
    const long long start = now_ms(), warm = start + (long long)seconds * 1000 / 4,
                    end = start + (long long)seconds * 1000;
    long rss_warm = -1;
    /* No client yet, and the spares started (each holds two of its fds). */
    wait_children(server, VKW_TEST_SPARES, WAIT_MS);
    const int fds_idle = count_fds(server);
    while (now_ms() < end) {
        for (int i = 0; i < CLIENTS; i++) {
            if (running[i] > 0 && waitpid(running[i], NULL, WNOHANG) == running[i])
                running[i] = 0;
            if (running[i] == 0) {
                const unsigned client_seed = seed + started++;
                running[i] = fork();
                if (running[i] == 0)
                    client(client_seed);
            }
        }
        if (rss_warm < 0 && now_ms() >= warm)
            rss_warm = rss_kb(server);
        usleep(5000);
    }
    for (int i = 0; i < CLIENTS; i++)
        if (running[i] > 0)
            waitpid(running[i], NULL, 0);
    /* Every client ended in the log, and no worker is left. */
    const long long deadline = now_ms() + WAIT_MS;
    int served = 0, ended = 0, workers = 0;
    char *text = NULL;
    do {
        free(text);
        usleep(20000);
        text = slurp(log_path);
        served = count_in(text, " connected; worker pid ");
        ended = count_in(text, " disconnected: ") + count_in(text, " ended: ") +
                count_in(text, " refused: ");
        workers = children_of(server);
    } while ((ended < served || workers > VKW_TEST_SPARES) && now_ms() < deadline);
    const long rss_end = rss_kb(server);
    const int fds_end = count_fds(server);
    diag("server: %u clients in %u s (seed %u); resident %ld kB after warm-up, %ld kB at the end",
         started, seconds, seed, rss_warm, rss_end);
    ok(served == (int)started && ended == served,
       "server: %d clients connected, %d accounted for in the log", served, ended);
    ok(count_in(text, " ended: protocol error limit objects (64)") > 0 &&
           count_in(text, " ended: protocol error bad_handle 0xdead") > 0 &&
           count_in(text, "(in the middle of a message)") > 0 &&
           count_in(text, "disconnected: clean close") > 0,
       "server: the clients ended every way (limit, protocol error, cut, close)");
    ok(!strstr(text, "crashed") && !strstr(text, "worker failed") && !strstr(text, "killed") &&
           !strstr(text, "Sanitizer"),
       "server: no worker crashed, failed or had to be killed");
    is_int(workers, VKW_TEST_SPARES, "server: no worker left, only the spares");
    is_int(fds_end, fds_idle, "server: as many descriptors as before the first client");
    if (TG_ASAN)
        skip(1, "AddressSanitizer build: resident memory is not judged (quarantine)");
    else
        ok(rss_warm > 0 && rss_end <= rss_warm + SERVER_SLACK_KB,
           "server: resident memory flat: %ld kB after warm-up, %ld kB at the end (slack %d)",
           rss_warm, rss_end, SERVER_SLACK_KB);
    kill(server, SIGTERM);
    int status = 0;
    waitpid(server, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "server: stops cleanly");
    if (tap_.failed)
        diag("the server log is %s", log_path);
    else {
        unlink(log_path);
        rmdir(tmp_dir);
    }
    free(text);
}

/* ---- part 2: the library in one process ---- */

/* One context fed the session's first `n` messages (the last cut short when
 * `cut`), then torn down; false when a message was refused that should not
 * have been, or the teardown left something behind. */
static bool run_context(struct vkw_renderer *r, unsigned n, bool cut)
{
    struct vkw_renderer_context *ctx = vkw_renderer_context_create(r);
    bool fine = true;
    for (unsigned i = 0; i < n; i++) {
        const struct gs_message *m = &session.m[i];
        int fd = m->nfds ? gs_memfd() : -1;
        const void *reply;
        size_t reply_size;
        const size_t size = cut && i == n - 1 ? (m->size / 2) & ~(size_t)3 : m->size;
        if (vkw_renderer_context_process_fds(ctx, m->data, size, fd >= 0 ? &fd : NULL,
                                             fd >= 0 ? 1 : 0, &reply,
                                             &reply_size) != VKW_RENDERER_OK &&
            !(cut && i == n - 1))
            fine = false;
    }
    struct vkw_renderer_context_stats s = {.size = sizeof(s)};
    vkw_renderer_context_destroy_objects(ctx);
    vkw_renderer_context_get_stats(ctx, &s);
    if (s.objects || s.memory_bytes || s.host_mappings || s.imported_mappings || s.host_fences)
        fine = false;
    vkw_renderer_context_destroy(ctx);
    return fine;
}

static void test_inprocess_soak(unsigned seed)
{
    srand(seed);
    struct vkw_renderer *r = NULL;
    struct vkw_renderer_options o = VKW_RENDERER_OPTIONS_INIT;
    o.max_objects = 64;
    ok(vkw_renderer_create(&o, &r) == 0, "in-process: a renderer on lavapipe");
    /* Warm-up: the whole session, uncut, a few times, so that every cache
     * the driver keeps for what the session makes (lavapipe's compiled
     * shaders and its allocator's pools) is full before the first sample;
     * what the random contexts after it add is what vkwire keeps. */
    unsigned contexts = 0, bad = 0;
    for (unsigned w = 0; w < WARMUP_CONTEXTS; w++, contexts++)
        bad += !run_context(r, session.count, false);
    const long rss_warm = rss_kb(getpid());
    const long long end = now_ms() + (long long)seconds * 500;
    while (now_ms() < end) {
        const unsigned n = 1 + (unsigned)rand() % session.count;
        bad += !run_context(r, n, rand() % 3 == 0);
        contexts++;
    }
    const long rss_end = rss_kb(getpid());
    diag("in-process: %u contexts in %u s; resident %ld kB after warm-up, %ld kB at the end",
         contexts, seconds / 2, rss_warm, rss_end);
    is_int(bad, 0, "in-process: %u contexts ran as expected and tore down to zero", contexts);
    if (TG_ASAN)
        skip(1, "AddressSanitizer build: resident memory is not judged (quarantine)");
    else
        ok(rss_warm > 0 && rss_end <= rss_warm + INPROCESS_SLACK_KB,
           "in-process: resident memory flat: %ld kB after warm-up, %ld kB at the end (slack %d)",
           rss_warm, rss_end, INPROCESS_SLACK_KB);
    vkw_renderer_destroy(r);
}

int main(void)
{
    const char *s = getenv("VKW_SOAK_SECONDS");
    if (s && atoi(s) > 0)
        seconds = (unsigned)atoi(s);
    alarm(seconds * 3 + 120);
    const char *seed_text = getenv("VKW_SOAK_SEED");
    const unsigned seed = seed_text ? (unsigned)strtoul(seed_text, NULL, 10) : (unsigned)time(NULL);
    signal(SIGPIPE, SIG_IGN);
    const char *icd = tg_use_lavapipe();
    if (!icd) {
        printf("1..0 # SKIP no lavapipe ICD manifest (lvp_icd*.json) on this machine\n");
        return 0;
    }
    tg_keep_driver_loaded(icd);
    const char *builddir = getenv("top_builddir");
    snprintf(server_bin, sizeof(server_bin), "%s/vkwire-server", builddir ? builddir : ".");
    if (access(server_bin, X_OK) != 0) {
        printf("Bail out! %s is not built\n", server_bin);
        return 1;
    }
    diag("%u s, seed %u (VKW_SOAK_SECONDS, VKW_SOAK_SEED)", seconds, seed);
    gs_build(&session);
    test_server_soak(seed);
    test_inprocess_soak(seed);
    gs_free(&session);
    return done_testing();
}
