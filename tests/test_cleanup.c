/* A guest cut off at every point leaves nothing behind on the host.
 *
 * The session of tests/guest_session.h (memory mapped and shared, buffers,
 * an image, command buffers, a submit, descriptors, a pipeline, a second
 * device, parents destroyed before their children) is replayed up to each
 * of its messages in turn, as if the guest were killed right after it, and
 * again with that message cut in half, as if killed while sending it:
 *
 *   1. in-process on the fake driver (tests/fake_driver.h), whose books
 *      must show no object alive and no contract broken;
 *   2. in-process on lavapipe;
 *   3. through vkwire-server, with client processes killed by SIGKILL.
 *
 * After each, the host's own counters (vkw_renderer_context_get_stats:
 * objects, device memory, mappings, imported pages, fences) are back to
 * zero, no file descriptor and no mapping of the guest's pages is left in
 * the host, and the server's worker says it destroyed exactly as many
 * objects as the in-process teardown of the same prefix did; the server's
 * own descriptors and children are as before.  The sanitizer build runs
 * this under LeakSanitizer, and tests/check_cleanup_valgrind.sh runs part 1
 * under valgrind.
 *
 *   test_cleanup [--fake-only]
 */
#define _GNU_SOURCE /* memfd_create, setenv, prctl; before any include */

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "fake_driver.h"
#include "guest_session.h"
#include "proc_util.h"
#include "tap.h"
#include "vkw_transport.h"
#include "vkwire/renderer.h"

#define WAIT_MS 20000

static struct gs_session session;
/* What the in-process teardown on lavapipe destroyed after each prefix. */
static size_t lavapipe_destroyed[GS_MAX_MESSAGES + 1];

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

static int session_mappings(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    int n = 0;
    char line[512];
    while (f && fgets(line, sizeof(line), f))
        n += strstr(line, "memfd:vkw-session") != NULL;
    if (f)
        fclose(f);
    return n;
}

/* ---- in-process ---- */

/* Replay the first `n` messages (the last one cut in half with `cut`),
 * then destroy the context.  `*destroyed`: what its teardown destroyed.
 * False, with `why`, when something was left or went wrong. */
static bool replay(struct vkw_renderer *r, bool fake, unsigned n, bool cut, size_t *destroyed,
                   char *why, size_t why_size)
{
    const int fds_before = count_fds(getpid());
    struct vkw_renderer_context *ctx = vkw_renderer_context_create(r);
    bool good = ctx != NULL;
    for (unsigned i = 0; good && i < n; i++) {
        const struct gs_message *m = &session.m[i];
        const bool cut_here = cut && i == n - 1;
        /* half, in whole words: a command or header cut short */
        const size_t size = cut_here ? (m->size / 2) & ~(size_t)3 : m->size;
        int fd = m->nfds ? gs_memfd() : -1;
        const void *reply;
        size_t reply_size;
        enum vkw_renderer_status st = vkw_renderer_context_process_fds(
            ctx, m->data, size, fd >= 0 ? &fd : NULL, fd >= 0 ? 1 : 0, &reply, &reply_size);
        uint32_t bad = 0;
        if (!cut_here && (st != VKW_RENDERER_OK ||
                          (i > 0 && tg_count_ok(reply, reply_size, false, &bad) < 0))) {
            snprintf(why, why_size, "message %u (%s) failed: %s", i, m->what,
                     vkw_renderer_context_error(ctx));
            good = false;
        }
        /* (half a batch may end on a command's end, and run: fine) */
    }
    struct vkw_renderer_context_stats before = {.size = sizeof(before)};
    struct vkw_renderer_context_stats after = {.size = sizeof(after)};
    if (ctx) {
        vkw_renderer_context_get_stats(ctx, &before);
        *destroyed = vkw_renderer_context_destroy_objects(ctx);
        vkw_renderer_context_get_stats(ctx, &after);
        vkw_renderer_context_destroy(ctx);
    }
    if (good && (after.objects || after.memory_bytes || after.memory_objects ||
                 after.host_mappings || after.imported_mappings || after.in_flight ||
                 after.host_fences)) {
        snprintf(why, why_size, "counters after teardown: %zu objects, %llu bytes, %zu mappings, "
                 "%zu imported, %zu fences",
                 after.objects, (unsigned long long)after.memory_bytes, after.host_mappings,
                 after.imported_mappings, after.host_fences);
        good = false;
    }
    if (good && count_fds(getpid()) != fds_before) {
        snprintf(why, why_size, "%d descriptors left open", count_fds(getpid()) - fds_before);
        good = false;
    }
    if (good && session_mappings() != 0) {
        snprintf(why, why_size, "the guest's pages are still mapped");
        good = false;
    }
    if (fake) {
        if (good && vkw_fake_problem()[0]) {
            snprintf(why, why_size, "fake driver: %s", vkw_fake_problem());
            good = false;
        }
        if (good && vkw_fake_live_objects() != 0) {
            snprintf(why, why_size, "%zu objects alive at the driver", vkw_fake_live_objects());
            good = false;
        }
        vkw_fake_reset();
    }
    return good;
}

static void test_in_process(bool fake)
{
    struct vkw_renderer_options o = VKW_RENDERER_OPTIONS_INIT;
    o.get_instance_proc_addr = fake ? vkw_fake_get_instance_proc_addr : NULL;
    struct vkw_renderer *r = NULL;
    if (vkw_renderer_create(&o, &r) != 0)
        tm_bail_out("vkw_renderer_create");
    const char *driver = fake ? "fake driver" : "lavapipe";
    size_t max_destroyed = 0;
    for (unsigned n = 1; n <= session.count; n++) {
        for (int cut = 0; cut <= 1; cut++) {
            char why[320] = "";
            size_t destroyed = 0;
            const bool good = replay(r, fake, n, cut, &destroyed, why, sizeof(why));
            ok(good, "%s: cut off %s message %u (%s): nothing left (%zu destroyed)", driver,
               cut ? "while sending" : "after", n - 1, session.m[n - 1].what, destroyed);
            if (!good)
                diag("%s", why);
            if (!fake && !cut)
                lavapipe_destroyed[n] = destroyed;
            if (destroyed > max_destroyed)
                max_destroyed = destroyed;
        }
    }
    ok(max_destroyed >= 20, "%s: the session reached %zu objects at its fullest", driver,
       max_destroyed);
    vkw_renderer_destroy(r);
}

/* ---- through vkwire-server ---- */

static char server_bin[1024], tmp_dir[256], sock_address[400], log_path[400];
static pid_t server_pid;
static int clients;

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static bool wait_log(const char *needle)
{
    const long long deadline = now_ms() + WAIT_MS;
    for (;;) {
        char *text = slurp(log_path);
        const bool found = text && strstr(text, needle);
        free(text);
        if (found)
            return true;
        if (now_ms() > deadline)
            return false;
        usleep(10000);
    }
}

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

/* In a child: send the first n messages (the last cut in half with `cut`),
 * say so, and wait to be killed. */
static void doomed_client(unsigned n, bool cut, int ready_fd)
{
    alarm(60);
    struct vkw_conn *c = NULL;
    char err[256];
    if (vkw_transport_connect(sock_address, &c, err, sizeof(err)) != 0)
        _exit(2);
    for (unsigned i = 0; i < n; i++) {
        const struct gs_message *m = &session.m[i];
        if (cut && i == n - 1) {
            /* The frame's count promises the whole message; half comes. */
            unsigned char frame[4] = {(uint8_t)m->size, (uint8_t)(m->size >> 8),
                                      (uint8_t)(m->size >> 16), (uint8_t)(m->size >> 24)};
            if (write(vkw_conn_fd(c), frame, 4) != 4 ||
                write(vkw_conn_fd(c), m->data, m->size / 2) != (ssize_t)(m->size / 2))
                _exit(3);
            break;
        }
        int fd = m->nfds ? gs_memfd() : -1;
        if (vkw_conn_send(c, m->data, m->size, fd >= 0 ? &fd : NULL, fd >= 0 ? 1 : 0) != 0)
            _exit(4);
        if (fd >= 0)
            close(fd);
        if (wants_reply(m)) {
            const void *data;
            size_t size, nfds = 0;
            int fds[VKW_TRANSPORT_MAX_FDS];
            if (vkw_conn_recv(c, &data, &size, VKW_MAX_MESSAGE_BYTES, fds, &nfds) != 0)
                _exit(5);
        }
    }
    if (write(ready_fd, "r", 1) != 1)
        _exit(6);
    for (;;)
        pause();
}

static bool start_server(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof(tmp_dir), "%s/vkwire-cleanup-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmp_dir))
        return false;
    snprintf(sock_address, sizeof(sock_address), "unix:%s/socket", tmp_dir);
    snprintf(log_path, sizeof(log_path), "%s/server.log", tmp_dir);
    server_pid = fork();
    if (server_pid == 0) {
#if defined(__linux__)
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
        FILE *f = freopen(log_path, "w", stderr);
        (void)f;
        char lib[4096];
        if (TG_ASAN && manifest_library(getenv("VK_DRIVER_FILES"), lib, sizeof(lib))) {
            /* As tests/test_server.c: the driver stays mapped in the
             * workers, so LeakSanitizer can tell its leaks from ours. */
            setenv("LD_PRELOAD", lib, 1);
            char opts[1024];
            const char *old = getenv("ASAN_OPTIONS");
            snprintf(opts, sizeof(opts), "%s%sverify_asan_link_order=0", old ? old : "",
                     old && *old ? ":" : "");
            setenv("ASAN_OPTIONS", opts, 1);
        }
        execl(server_bin, server_bin, "--listen", sock_address, (char *)NULL);
        _exit(127);
    }
    char want[500];
    snprintf(want, sizeof(want), "listening on %s", sock_address);
    return wait_log(want);
}

static void test_server(void)
{
    ok(start_server(), "vkwire-server starts");
    wait_children(server_pid, VKW_TEST_SPARES, WAIT_MS); /* each holds two fds */
    const int server_fds = count_fds(server_pid);
    for (unsigned n = 1; n <= session.count; n++) {
        for (int cut = 0; cut <= 1; cut++) {
            int ready[2];
            if (pipe(ready) != 0)
                tm_bail_out("pipe");
            pid_t pid = fork();
            if (pid == 0) {
                close(ready[0]);
                doomed_client(n, cut, ready[1]);
            }
            close(ready[1]);
            clients++;
            struct pollfd p = {.fd = ready[0], .events = POLLIN};
            char byte = 0;
            const bool sent = poll(&p, 1, WAIT_MS) == 1 && read(ready[0], &byte, 1) == 1;
            close(ready[0]);
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            /* Killed after message n-1: its prefix is n messages; killed
             * while sending it: n-1 whole ones. */
            const unsigned whole = cut ? n - 1 : n;
            char want[200];
            snprintf(want, sizeof(want), "client %d disconnected: ", clients);
            const bool left = wait_log(want);
            char how[128];
            snprintf(how, sizeof(how), "connection lost: %s (in the middle of a message)",
                     strerror(ECONNRESET));
            snprintf(want, sizeof(want), "client %d disconnected: %s; destroyed %zu object", clients,
                     cut ? how : "clean close", lavapipe_destroyed[whole]);
            ok(sent && left && wait_log(want),
               "server: client killed %s message %u (%s): its worker destroyed %zu objects", cut ?
               "while sending" : "after", n - 1, session.m[n - 1].what, lavapipe_destroyed[whole]);
        }
    }
    char want[64];
    snprintf(want, sizeof(want), "client %d disconnected", clients);
    wait_log(want);
    usleep(200000); /* the last worker's exit reaches the server */
    is_int(count_fds(server_pid), server_fds, "the server holds as many descriptors as before");
    kill(server_pid, SIGTERM);
    int status = 0;
    waitpid(server_pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the server stops cleanly");
    char *text = slurp(log_path);
    ok(text && !strstr(text, "crashed") && !strstr(text, "worker failed") &&
           !strstr(text, "Sanitizer"),
       "no worker crashed or failed");
    if (tap_.failed && text)
        diag("server log:\n%s", text);
    free(text);
    if (!tap_.failed) {
        char path[512];
        snprintf(path, sizeof(path), "%s/server.log", tmp_dir);
        unlink(path);
        rmdir(tmp_dir);
    }
}

int main(int argc, char **argv)
{
    alarm(600);
    signal(SIGPIPE, SIG_IGN);
    const bool fake_only = argc > 1 && strcmp(argv[1], "--fake-only") == 0;
    gs_build(&session);
    vkw_fake_abort_on_problem(false);
    test_in_process(true);
    if (!fake_only) {
        const char *icd = tg_use_lavapipe();
        if (!icd) {
            skip(1, "no lavapipe ICD manifest: the lavapipe and server parts");
        } else {
            tg_keep_driver_loaded(icd);
            test_in_process(false);
            const char *builddir = getenv("top_builddir");
            snprintf(server_bin, sizeof(server_bin), "%s/vkwire-server",
                     builddir ? builddir : ".");
            if (access(server_bin, X_OK) == 0)
                test_server();
            else
                skip(1, "vkwire-server is not built");
        }
    }
    gs_free(&session);
    return done_testing();
}
