/* vkwire-server end to end on lavapipe: each test starts the real server on
 * a private socket and talks to it as a raw guest (generated encoders and
 * the transport, tests/host_test_guest.h).
 *
 * Covered: startup (socket 0600 in a 0700 folder), a guest that reaches
 * lavapipe, a memfd passed with ALLOCATE_SHARED and imported, a refused
 * handshake, garbage (framed and not), a client killed
 * mid-message and mid-call, a worker that crashes, spare workers (the
 * driver loaded before any client, asleep while idle, clients served by
 * them, a spare killed before use, one that dies holding a client it never
 * took, a driver that cannot start, recording, --spare-workers 0), 8
 * clients at once, no worker processes left behind, --max-clients, a
 * second server on a busy address, the command line, and shutdown on
 * SIGTERM and SIGINT.  After
 * every client leaves, its worker's log line must say it destroyed as
 * many objects as the client made.  The server's log is checked at the end
 * for sanitizer reports and workers that failed.
 *
 * Every wait is bounded; alarm() ends a hung run. */
#define _GNU_SOURCE /* mkdtemp, setenv, kill, prctl; before any include */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "host_test_guest.h"
#include "memory_messages_test.h"
#include "proc_util.h"
#include "tap.h"
#include "vkw_transport.h"

#define WAIT_MS 20000 /* for anything the server should do promptly */
#define CONCURRENT_CLIENTS 8

static char tmp_dir[256];
static char server_bin[1024];
static char driver_lib[4096]; /* preloaded into the server in sanitizer builds */

struct server {
    pid_t pid;
    char address[512];
    char path[400]; /* the socket file */
    char log[400];
};

static struct server main_server;

/* ---- processes and files ---- */

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&t, NULL);
}

/* Run vkwire-server with `args` (NULL-terminated), stdout and stderr into
 * `log`.  Returns the pid. */
static pid_t spawn_server(const char *log, const char *const *args)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
#if defined(__linux__)
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
#endif
    /* The crash test aborts a worker: no core file in the build tree. */
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    if (driver_lib[0]) {
        /* Sanitizer builds: keep the driver mapped in the workers, as
         * tg_keep_driver_loaded explains.  Preloading puts it before the
         * ASan runtime in the library list, which ASan then must accept. */
        setenv("LD_PRELOAD", driver_lib, 1);
        char opts[1024];
        const char *old = getenv("ASAN_OPTIONS");
        snprintf(opts, sizeof(opts), "%s%sverify_asan_link_order=0", old ? old : "",
                 old && *old ? ":" : "");
        setenv("ASAN_OPTIONS", opts, 1);
    }
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
    }
    const char *argv[16] = {server_bin};
    for (int i = 0; args && args[i] && i < 14; i++)
        argv[i + 1] = args[i];
    execv(server_bin, (char *const *)argv);
    fprintf(stderr, "exec %s: %s\n", server_bin, strerror(errno));
    _exit(127);
}

/* waitpid with a deadline: the exit status, or -1 on timeout. */
static int wait_exit(pid_t pid, int timeout_ms)
{
    const long long deadline = now_ms() + timeout_ms;
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return -1;
        if (now_ms() > deadline)
            return -1;
        sleep_ms(10);
    }
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return strdup("");
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    for (;;) {
        if (n + 1024 > cap)
            s = realloc(s, cap *= 2);
        size_t r = fread(s + n, 1, cap - n - 1, f);
        if (r == 0)
            break;
        n += r;
    }
    fclose(f);
    s[n] = '\0';
    return s;
}

static int count_in(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static int log_count(const struct server *s, const char *needle)
{
    char *text = read_file(s->log);
    int n = count_in(text, needle);
    free(text);
    return n;
}

/* Wait until the log holds `needle` at least `n` times. */
static bool wait_log(const struct server *s, const char *needle, int n)
{
    const long long deadline = now_ms() + WAIT_MS;
    while (log_count(s, needle) < n) {
        if (now_ms() > deadline)
            return false;
        sleep_ms(10);
    }
    return true;
}

static void dump_log(const struct server *s)
{
    char *text = read_file(s->log);
    diag("server log %s:", s->log);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        diag("  %s", line);
    free(text);
}

static bool start_server(struct server *s, const char *name, const char *const *extra)
{
    snprintf(s->path, sizeof(s->path), "%s/%s/socket", tmp_dir, name);
    snprintf(s->address, sizeof(s->address), "unix:%s", s->path);
    snprintf(s->log, sizeof(s->log), "%s/%s.log", tmp_dir, name);
    const char *args[12] = {"--listen", s->address};
    for (int i = 0; extra && extra[i] && i < 9; i++)
        args[2 + i] = extra[i];
    s->pid = spawn_server(s->log, args);
    char want[600];
    snprintf(want, sizeof(want), "listening on %s", s->address);
    if (!wait_log(s, want, 1)) {
        dump_log(s);
        return false;
    }
    return true;
}

/* ---- talking to the server ---- */

static struct vkw_conn *connect_to(const struct server *s)
{
    struct vkw_conn *c = NULL;
    char err[256];
    const long long deadline = now_ms() + WAIT_MS;
    while (vkw_transport_connect(s->address, &c, err, sizeof(err)) != 0) {
        if (now_ms() > deadline) {
            diag("%s", err);
            return NULL;
        }
        sleep_ms(10);
    }
    return c;
}

/* Receive one message within the deadline: 0, or the transport's error,
 * or -ETIMEDOUT. */
static int recv_within(struct vkw_conn *c, const void **data, size_t *size, int timeout_ms)
{
    struct pollfd p = {.fd = vkw_conn_fd(c), .events = POLLIN};
    int r;
    do
        r = poll(&p, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return -ETIMEDOUT;
    size_t nfds = 0;
    int fds[VKW_TRANSPORT_MAX_FDS];
    int rc = vkw_conn_recv(c, data, size, VKW_MAX_MESSAGE_BYTES, fds, &nfds);
    for (size_t i = 0; i < nfds; i++)
        close(fds[i]);
    return rc;
}

/* Send the batch built in g->w and wait for the answer. */
static int exchange(struct vkw_conn *c, struct tg_guest *g, const void **reply, size_t *size)
{
    int rc = vkw_conn_send(c, g->w.data, g->w.size, NULL, 0);
    vkw_writer_reset(&g->w);
    return rc < 0 ? rc : recv_within(c, reply, size, WAIT_MS);
}

static bool handshake(struct vkw_conn *c, struct tg_guest *g)
{
    const void *reply;
    size_t size;
    struct vkw_welcome wl;
    tg_hello(g, VKW_PROTOCOL_MAJOR);
    return exchange(c, g, &reply, &size) == 0 && tg_welcome(reply, size, &wl) && wl.accepted;
}

/* The server closed the connection: end of stream (-EPIPE), or a reset. */
static bool closed_by_server(struct vkw_conn *c)
{
    const void *data;
    size_t size;
    int rc = recv_within(c, &data, &size, WAIT_MS);
    return rc == -EPIPE || rc == -ECONNRESET;
}

/* A guest that connects, makes instance + device + `buffers` buffers and
 * checks every reply.  Returns the connection, or NULL. */
static struct vkw_conn *busy_guest(const struct server *s, struct tg_guest *g, int buffers)
{
    struct vkw_conn *c = connect_to(s);
    if (!c)
        return NULL;
    const void *reply;
    size_t size;
    tg_init(g);
    if (!handshake(c, g)) {
        vkw_conn_close(c);
        return NULL;
    }
    tg_bring_up(g);
    for (int i = 0; i < buffers; i++)
        tg_create_buffer(g, 100 + (uint64_t)i, 1024);
    /* vkGetDeviceQueue needs no reply: the guest chose the queue's id. */
    if (exchange(c, g, &reply, &size) != 0 || tg_count_ok(reply, size, true, NULL) != 3 + buffers) {
        vkw_conn_close(c);
        return NULL;
    }
    return c;
}

/* The server gives a fresh client lavapipe, start to finish. */
static bool fresh_client_works(const struct server *s)
{
    struct tg_guest g;
    struct vkw_conn *c = busy_guest(s, &g, 1);
    bool good = c != NULL;
    if (c) {
        const void *reply;
        size_t size;
        char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE] = "";
        VkPhysicalDeviceProperties props;
        tg_get_properties(&g, &props);
        good = exchange(c, &g, &reply, &size) == 0 &&
               tg_device_name(reply, size, &g, name, sizeof(name)) && strstr(name, "llvmpipe");
        vkw_conn_close(c);
    }
    tg_fini(&g);
    return good;
}

/* ---- tests ---- */

static int clients; /* connections made to main_server so far */

static void test_startup(void)
{
    ok(start_server(&main_server, "main", NULL), "the server starts and says where it listens");
    struct stat st;
    ok(stat(main_server.path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0600,
       "the socket is mode 0600");
    char folder[400];
    snprintf(folder, sizeof(folder), "%s/main", tmp_dir);
    ok(stat(folder, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700,
       "its folder was made mode 0700");
}

static void test_lavapipe_guest(void)
{
    struct tg_guest g;
    tg_init(&g);
    struct vkw_conn *c = connect_to(&main_server);
    clients++;
    ok(c && handshake(c, &g), "a guest connects and completes the handshake");
    if (!c)
        return;

    VkInstance instance = TG_INSTANCE(&g);
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    vkw_encode_vkCreateInstance(&g.w, ++g.serial, &ici, NULL, &instance);
    uint32_t count = 0;
    vkw_encode_vkEnumeratePhysicalDevices(&g.w, ++g.serial, TG_INSTANCE(&g), &count, NULL);
    const void *reply;
    size_t size;
    struct tg_replies rs;
    struct vkw_reply_header h;
    struct vkw_reader p;
    ok(exchange(c, &g, &reply, &size) == 0, "vkCreateInstance and a count query answered");
    tg_replies_init(&rs, reply, size);
    ok(tg_next_reply(&rs, &h, &p) && h.status == VKW_OK &&
           vkw_decode_reply_vkCreateInstance(&p, &ici, NULL, &instance) == VK_SUCCESS,
       "vkCreateInstance: VK_SUCCESS");
    ok(tg_next_reply(&rs, &h, &p) && h.status == VKW_OK &&
           vkw_decode_reply_vkEnumeratePhysicalDevices(&p, TG_INSTANCE(&g), &count, NULL) ==
               VK_SUCCESS &&
           count >= 1,
       "vkEnumeratePhysicalDevices: %u device(s)", count);

    count = 1;
    VkPhysicalDevice pd = TG_PHYSICAL(&g);
    vkw_encode_vkEnumeratePhysicalDevices(&g.w, ++g.serial, TG_INSTANCE(&g), &count, &pd);
    VkPhysicalDeviceProperties props;
    tg_get_properties(&g, &props);
    char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE] = "";
    ok(exchange(c, &g, &reply, &size) == 0 && tg_device_name(reply, size, &g, name, sizeof(name)),
       "vkGetPhysicalDeviceProperties answered");
    ok(strstr(name, "llvmpipe") != NULL, "deviceName '%s' is lavapipe's", name);
    vkw_conn_close(c);
    tg_fini(&g);

    char want[128];
    snprintf(want, sizeof(want), "client %d disconnected: clean close; destroyed 1 object\n",
             clients);
    ok(wait_log(&main_server, want, 1), "the server logs the clean close and the teardown");
}

/* ALLOCATE_SHARED over the socket: the memfd travels as SCM_RIGHTS, the
 * worker hands it to the renderer, which imports the pages. */
static void test_shared_memory(void)
{
    struct tg_guest g;
    struct vkw_conn *c = busy_guest(&main_server, &g, 0);
    clients++;
    ok(c != NULL, "a guest with instance and device");
    if (!c) {
        tg_fini(&g);
        return;
    }
    VkPhysicalDeviceMemoryProperties mp;
    memset(&mp, 0, sizeof(mp));
    vkw_encode_vkGetPhysicalDeviceMemoryProperties(&g.w, ++g.serial, TG_PHYSICAL(&g), &mp);
    const void *reply;
    size_t size;
    struct tg_replies rs;
    struct vkw_reply_header h;
    struct vkw_reader p;
    uint32_t type = UINT32_MAX;
    if (exchange(c, &g, &reply, &size) == 0) {
        tg_replies_init(&rs, reply, size);
        if (tg_next_reply(&rs, &h, &p) && h.status == VKW_OK)
            vkw_decode_reply_vkGetPhysicalDeviceMemoryProperties(&p, TG_PHYSICAL(&g), &mp);
        for (uint32_t i = 0; vkw_reader_ok(&p) && i < mp.memoryTypeCount && type == UINT32_MAX; i++)
            if (mp.memoryTypes[i].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT)
                type = i;
    }

    int fd = memfd_create("vkw-server-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0 || ftruncate(fd, 8192) != 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0)
        tm_bail_out("memfd");
    unsigned char *mine = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mine == MAP_FAILED)
        tm_bail_out("mmap");
    for (int i = 0; i < 8192; i++)
        mine[i] = (unsigned char)(i * 13 + 5);
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = 8192,
                               .memoryTypeIndex = type};
    tm_allocate_shared(&g.w, ++g.serial, TG_DEVICE_ID, &ai, TG_MEMORY_ID, 0);
    tm_read_memory(&g.w, ++g.serial, TG_MEMORY_ID, 4096, 4096);
    int rc = vkw_conn_send(c, g.w.data, g.w.size, &fd, 1);
    vkw_writer_reset(&g.w);
    close(fd); /* the server got its own copy */
    int32_t result = -1;
    uint32_t imported = 9;
    unsigned char got[4096];
    bool read_ok = false;
    if (rc == 0 && recv_within(c, &reply, &size, WAIT_MS) == 0) {
        tg_replies_init(&rs, reply, size);
        if (tg_next_reply(&rs, &h, &p) && h.opcode == VKW_MSG_ALLOCATE_SHARED &&
            h.status == VKW_OK) {
            result = vkw_read_i32(&p);
            imported = vkw_read_u32(&p);
        }
        read_ok = tg_next_reply(&rs, &h, &p) && h.opcode == VKW_MSG_READ_MEMORY &&
                  h.status == VKW_OK && vkw_read_u64(&p) == 4096 && vkw_read_bytes(&p, got, 4096);
    }
    ok(type != UINT32_MAX && result == VK_SUCCESS && imported == 1,
       "ALLOCATE_SHARED with a memfd through the server: imported (type %u)", type);
    ok(read_ok && memcmp(got, mine + 4096, 4096) == 0,
       "READ_MEMORY through the server returns what the guest wrote in its pages");
    munmap(mine, 8192);
    vkw_conn_close(c);
    tg_fini(&g);
    char want[128];
    snprintf(want, sizeof(want), "client %d disconnected: clean close; destroyed 3 objects\n",
             clients);
    ok(wait_log(&main_server, want, 1), "teardown destroys the imported memory with the rest");
}

static void test_version_mismatch(void)
{
    struct tg_guest g;
    tg_init(&g);
    struct vkw_conn *c = connect_to(&main_server);
    clients++;
    const void *reply;
    size_t size;
    struct vkw_welcome wl;
    tg_hello(&g, 99);
    ok(c && exchange(c, &g, &reply, &size) == 0 && tg_welcome(reply, size, &wl) && !wl.accepted,
       "HELLO with major version 99 is refused");
    char ours_named[32];
    snprintf(ours_named, sizeof(ours_named), "vkwire %u.", VKW_PROTOCOL_MAJOR);
    ok(strstr(wl.message, "vkwire 99.") && strstr(wl.message, ours_named),
       "the refusal names both versions: %s", wl.message);
    ok(c && closed_by_server(c), "then the server closes the connection");
    if (c)
        vkw_conn_close(c);
    tg_fini(&g);
    char want[64];
    snprintf(want, sizeof(want), "client %d refused: handshake refused: protocol mismatch",
             clients);
    ok(wait_log(&main_server, want, 1), "the server logs the refusal");
}

static void test_garbage(void)
{
    const void *reply;
    size_t size;
    uint32_t status = 0;
    uint64_t value = 0;
    uint32_t junk[16];
    memset(junk, 0xab, sizeof(junk));

    /* Framed garbage after a good handshake. */
    struct tg_guest g;
    tg_init(&g);
    struct vkw_conn *c = connect_to(&main_server);
    clients++;
    ok(c && handshake(c, &g), "handshake before the garbage");
    ok(c && vkw_conn_send(c, junk, sizeof(junk), NULL, 0) == 0 &&
           recv_within(c, &reply, &size, WAIT_MS) == 0 &&
           tg_error_reply(reply, size, &status, &value),
       "garbage in a frame: the guest gets an error reply (%s)",
       vkw_error_name((enum vkw_error)status));
    ok(c && closed_by_server(c), "and the connection closes");
    if (c)
        vkw_conn_close(c);
    char want[128];
    snprintf(want, sizeof(want), "client %d ended: protocol error ", clients);
    ok(wait_log(&main_server, want, 1), "the server logs the protocol error");

    /* Garbage instead of a HELLO. */
    c = connect_to(&main_server);
    clients++;
    ok(c && vkw_conn_send(c, junk, sizeof(junk), NULL, 0) == 0 &&
           recv_within(c, &reply, &size, WAIT_MS) == 0 &&
           tg_error_reply(reply, size, &status, &value) && status == VKW_ERROR_BAD_OPCODE &&
           value == 0xabababab,
       "garbage for a HELLO: an error reply naming the opcode");
    ok(c && closed_by_server(c), "and the connection closes");
    if (c)
        vkw_conn_close(c);

    /* Bytes that are not even a frame: the length reads as 4 GiB. */
    c = connect_to(&main_server);
    clients++;
    unsigned char raw[64];
    memset(raw, 0xff, sizeof(raw));
    ok(c && write(vkw_conn_fd(c), raw, sizeof(raw)) == (ssize_t)sizeof(raw) &&
           recv_within(c, &reply, &size, WAIT_MS) == 0 &&
           tg_error_reply(reply, size, &status, &value) && status == VKW_ERROR_BAD_SIZE,
       "an impossible frame length: a bad_size error reply");
    ok(c && closed_by_server(c), "and the connection closes");
    if (c)
        vkw_conn_close(c);
    snprintf(want, sizeof(want), "client %d ended: protocol error: a message over the", clients);
    ok(wait_log(&main_server, want, 1), "the server logs the oversized message");

    clients++;
    ok(fresh_client_works(&main_server), "a new client is served after the garbage");
    tg_fini(&g);
}

/* In a child: make objects, then stop half-way through a message (`cut`)
 * or right after sending a batch (no `cut`), tell the parent, wait to be
 * killed. */
static void doomed_guest(int ready_fd, bool cut)
{
    alarm(60);
    struct tg_guest g;
    struct vkw_conn *c = busy_guest(&main_server, &g, 1);
    if (!c)
        _exit(1);
    if (cut) {
        /* A frame that announces 1000 bytes and brings 12. */
        unsigned char partial[16] = {0xe8, 0x03, 0, 0};
        if (write(vkw_conn_fd(c), partial, sizeof(partial)) != (ssize_t)sizeof(partial))
            _exit(1);
    } else {
        for (int i = 0; i < 8; i++)
            tg_create_buffer(&g, 500 + (uint64_t)i, 1 << 20);
        if (vkw_conn_send(c, g.w.data, g.w.size, NULL, 0) != 0)
            _exit(1);
    }
    if (write(ready_fd, "r", 1) != 1)
        _exit(1);
    for (;;)
        pause();
}

static void test_killed_client(bool cut)
{
    const char *how = cut ? "mid-message" : "mid-call";
    int ready[2];
    if (pipe(ready) != 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        close(ready[0]);
        doomed_guest(ready[1], cut);
    }
    close(ready[1]);
    clients++;
    char byte = 0;
    struct pollfd p = {.fd = ready[0], .events = POLLIN};
    ok(poll(&p, 1, WAIT_MS) == 1 && read(ready[0], &byte, 1) == 1 && byte == 'r',
       "%s: a client made objects and is %s", how,
       cut ? "half-way through a message" : "waiting for a reply");
    close(ready[0]);
    kill(pid, SIGKILL);
    int status = wait_exit(pid, WAIT_MS);
    ok(status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "%s: client killed", how);

    char want[128];
    snprintf(want, sizeof(want), "client %d disconnected: ", clients);
    ok(wait_log(&main_server, want, 1), "%s: the server logs the lost client", how);
    if (cut) {
        snprintf(want, sizeof(want),
                 "client %d disconnected: connection lost: %s (in the middle of a message); "
                 "destroyed 3 objects\n",
                 clients, strerror(ECONNRESET));
        ok(log_count(&main_server, want) == 1,
           "%s: cut mid-message, and its 3 objects were destroyed", how);
    }
    clients++;
    ok(fresh_client_works(&main_server), "%s: the server goes on serving", how);
}

/* ---- the shared-memory ring ---- */

/* The worker of client `n` of server `s`, from its log line; -1 if none. */
static pid_t worker_on(const struct server *s, int n)
{
    char *text = read_file(s->log), want[64];
    snprintf(want, sizeof(want), "client %d (pid", n);
    const char *line = strstr(text, want), *at = line ? strstr(line, "worker pid ") : NULL;
    pid_t pid = at ? (pid_t)atol(at + strlen("worker pid ")) : -1;
    free(text);
    return pid;
}

static pid_t worker_of(int n) { return worker_on(&main_server, n); }

/* utime + stime of a process, in clock ticks; -1 if unreadable. */
static long long cpu_ticks(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t r = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (r <= 0)
        return -1;
    buf[r] = '\0';
    const char *p = strrchr(buf, ')'); /* after comm, which may hold spaces */
    unsigned long long ut, st;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (long long)(ut + st);
}

/* A guest that asks for the ring in its HELLO; true when agreed. */
static bool ring_handshake(struct vkw_conn *c, struct tg_guest *g)
{
    const void *reply;
    size_t size;
    struct vkw_welcome wl;
    struct vkw_hello hello;
    vkw_hello_local(&hello);
    hello.features |= VKW_FEATURE_RING;
    vkw_encode_hello(&g->w, &hello);
    return exchange(c, g, &reply, &size) == 0 && tg_welcome(reply, size, &wl) && wl.accepted &&
           (wl.features & VKW_FEATURE_RING);
}

/* Offer `fds` as a ring of `bytes`; the answer's accepted word, or -1. */
static int ring_offer(struct vkw_conn *c, struct tg_guest *g, const int *fds, uint32_t bytes)
{
    const void *reply;
    size_t size;
    vkw_encode_ring_attach(&g->w, 0, bytes);
    int rc = vkw_conn_send(c, g->w.data, g->w.size, fds, VKW_RING_FDS);
    vkw_writer_reset(&g->w);
    if (rc < 0 || recv_within(c, &reply, &size, WAIT_MS) != 0 || size != VKW_HEADER_BYTES + 8)
        return -1;
    struct vkw_reader r;
    struct vkw_reply_header h;
    vkw_reader_init(&r, reply, size, NULL);
    if (!vkw_read_reply_header(&r, &h) || h.opcode != VKW_MSG_RING_ATTACH || h.status != VKW_OK)
        return -1;
    return (int)vkw_read_u32(&r);
}

/* A guest on a 4 KiB ring: messages larger than the ring, then a second
 * of idling during which the worker must sleep; a guest that offers a
 * broken ring stays on the socket; one that corrupts a working ring ends
 * alone. */
static void test_ring(void)
{
    struct tg_guest g;
    tg_init(&g);
    struct vkw_conn *c = connect_to(&main_server);
    clients++;
    int fds[VKW_RING_FDS];
    char err[256];
    ok(c && ring_handshake(c, &g), "ring: a guest that asks for the ring is agreed it");
    ok(c && vkw_conn_ring_create(c, 4096, fds, err, sizeof(err)) == 0 &&
           ring_offer(c, &g, fds, 4096) == 1 && vkw_conn_ring_start(c) == 0,
       "ring: a 4 KiB ring is offered and taken");
    if (!c || !vkw_conn_ring_active(c)) {
        vkw_conn_close(c);
        tg_fini(&g);
        return;
    }
    tg_bring_up(&g);
    for (int i = 0; i < 60; i++)
        tg_create_buffer(&g, 100 + (uint64_t)i, 1024);
    const size_t sent = g.w.size;
    const void *reply;
    size_t size;
    int rc = vkw_conn_send(c, g.w.data, g.w.size, NULL, 0);
    vkw_writer_reset(&g.w);
    ok(sent > 4096 && rc == 0 && vkw_conn_recv(c, &reply, &size, VKW_MAX_MESSAGE_BYTES, NULL, NULL) == 0 &&
           tg_count_ok(reply, size, true, NULL) == 63,
       "ring: a %zu-byte batch (63 commands) through it, every reply right", sent);

    const pid_t worker = worker_of(clients);
    sleep_ms(200);
    const long long before = cpu_ticks(worker);
    sleep_ms(1000);
    const long long used = cpu_ticks(worker) - before;
    ok(worker > 0 && before >= 0 && used >= 0 && used <= 2,
       "ring: the worker of an idle client sleeps (%lld clock ticks in a second)", used);
    VkPhysicalDeviceProperties props;
    tg_get_properties(&g, &props);
    char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE] = "";
    rc = vkw_conn_send(c, g.w.data, g.w.size, NULL, 0);
    vkw_writer_reset(&g.w);
    ok(rc == 0 && vkw_conn_recv(c, &reply, &size, VKW_MAX_MESSAGE_BYTES, NULL, NULL) == 0 &&
           tg_device_name(reply, size, &g, name, sizeof(name)) && strstr(name, "llvmpipe"),
       "ring: and wakes for the next command");
    vkw_conn_close(c);
    char want[128];
    snprintf(want, sizeof(want), "client %d disconnected: clean close; destroyed 62 objects\n",
             clients);
    ok(wait_log(&main_server, want, 1), "ring: a clean close, every object destroyed (instance, device, 60 buffers)");

    /* An offer the worker cannot take (no seal): refused, the socket goes on. */
    tg_fini(&g);
    tg_init(&g);
    c = connect_to(&main_server);
    clients++;
    const size_t len = VKW_RING_OFF_DATA + 2 * 4096;
    int memfd = memfd_create("hostile-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    int kick_host = eventfd(0, EFD_CLOEXEC), kick_guest = eventfd(0, EFD_CLOEXEC);
    bool made = memfd >= 0 && ftruncate(memfd, (off_t)len) == 0 && kick_host >= 0 && kick_guest >= 0;
    const int offered[VKW_RING_FDS] = {memfd, kick_host, kick_guest};
    ok(c && made && ring_handshake(c, &g) && ring_offer(c, &g, offered, 4096) == 0 &&
           !vkw_conn_ring_active(c),
       "ring: an unsealed memfd is refused");
    tg_bring_up(&g);
    ok(c && exchange(c, &g, &reply, &size) == 0 && tg_count_ok(reply, size, true, NULL) == 3,
       "ring: and the client goes on over the socket");
    vkw_conn_close(c);

    /* A working ring the guest then corrupts. */
    tg_fini(&g);
    tg_init(&g);
    c = connect_to(&main_server);
    clients++;
    made = made && fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0;
    unsigned char *map = made ? mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0)
                              : MAP_FAILED;
    ok(c && map != MAP_FAILED && ring_handshake(c, &g) && ring_offer(c, &g, offered, 4096) == 1,
       "ring: a hand-made ring is taken");
    if (map != MAP_FAILED) {
        _Atomic uint32_t *tail = (_Atomic uint32_t *)(void *)(map + VKW_RING_OFF_G2H_TAIL);
        atomic_store(tail, 4096u + 100u); /* more than the ring holds */
        uint64_t one = 1;
        if (write(kick_host, &one, sizeof(one)) != sizeof(one))
            diag("kick: %s", strerror(errno));
        snprintf(want, sizeof(want),
                 "client %d ended: protocol error: the shared-memory ring is corrupt", clients);
        ok(wait_log(&main_server, want, 1), "ring: a corrupt tail ends that client");
        munmap(map, len);
    }
    vkw_conn_close(c);
    close(memfd), close(kick_host), close(kick_guest);
    tg_fini(&g);
    clients++;
    ok(fresh_client_works(&main_server), "ring: the server goes on serving");
}

static void test_worker_crash(void)
{
    struct tg_guest g;
    struct vkw_conn *c = busy_guest(&main_server, &g, 2);
    clients++;
    ok(c != NULL, "a client with objects");
    char want[128];
    snprintf(want, sizeof(want), "client %d (pid %ld) connected; worker pid ", clients,
             (long)getpid());
    wait_log(&main_server, want, 1);
    char *text = read_file(main_server.log);
    const char *at = strstr(text, want);
    long worker = at ? strtol(at + strlen(want), NULL, 10) : 0;
    free(text);
    ok(worker > 0, "its worker's pid is in the log (%ld)", worker);
    if (worker > 0)
        kill((pid_t)worker, SIGABRT); /* as if the driver had crashed */
    snprintf(want, sizeof(want), "client %d worker crashed: signal %d", clients, SIGABRT);
    ok(wait_log(&main_server, want, 1), "the server logs the crash");
    ok(c && closed_by_server(c), "the crashed worker's client sees its connection close");
    if (c)
        vkw_conn_close(c);
    tg_fini(&g);
    clients++;
    ok(fresh_client_works(&main_server), "the server goes on after a worker crash");
}

/* ---- spare workers ---- */

static bool pid_in(pid_t pid, const pid_t *set, int n)
{
    for (int i = 0; i < n; i++)
        if (set[i] == pid)
            return true;
    return false;
}

/* The server's spares once it is idle (client `last`, the latest, has
 * left and its worker has been reaped): their count, pids in `out`. */
static int idle_spares(const struct server *s, int last, pid_t *out)
{
    char want[64];
    snprintf(want, sizeof(want), "client %d disconnected", last);
    wait_log(s, want, 1);
    wait_children(s->pid, VKW_TEST_SPARES, WAIT_MS);
    return children_list(s->pid, out, 16);
}

/* idle_spares, again until none of them is in `gone` (the `n` killed or
 * replaced ones, which stay the server's children until it reaps them: a
 * busy machine may see them a while).  How many of them are new goes in
 * `*fresh`. */
static int idle_spares_without(const struct server *s, int last, const pid_t *gone, int n,
                               pid_t *out, int *fresh)
{
    int m = idle_spares(s, last, out);
    for (int waited = 0;; waited += 10) {
        *fresh = 0;
        for (int i = 0; i < m && i < 16; i++)
            *fresh += !pid_in(out[i], gone, n);
        if ((m == VKW_TEST_SPARES && *fresh == m) || waited >= WAIT_MS)
            break;
        usleep(10000);
        m = children_list(s->pid, out, 16);
    }
    if (m != VKW_TEST_SPARES || *fresh != m)
        diag("children %d, of which %d new", m, *fresh);
    return m;
}

/* Whether process `pid` has the driver's library (`base`) mapped. */
static bool maps_have(pid_t pid, const char *base)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
    char *maps = read_file(path);
    const bool found = strstr(maps, base) != NULL;
    free(maps);
    return found;
}

/* The worker pid logged for client `n`, waiting for the line. */
static pid_t logged_worker(int n)
{
    char want[64];
    snprintf(want, sizeof(want), "client %d (pid", n);
    wait_log(&main_server, want, 1);
    return worker_of(n);
}

/* Spares: an idle server keeps VKW_TEST_SPARES of them, asleep; clients are
 * served by them and new ones replace them; a spare killed before use is
 * replaced and costs no client anything; a spare that dies holding a
 * client it never took leaves that client to a fresh worker. */
static void test_spares(void)
{
    pid_t before[16], after[16];
    int n = idle_spares(&main_server, clients, before);
    is_int(n, VKW_TEST_SPARES, "spares: the idle server has %d children, its spares",
           VKW_TEST_SPARES);

    /* A spare that replaced a taken one waits a second before it starts
     * the driver: wait for that, then for a quiet second. */
    char lib[4096] = "";
    const bool named = manifest_library(getenv("VK_DRIVER_FILES"), lib, sizeof(lib));
    const char *base = strrchr(lib, '/') ? strrchr(lib, '/') + 1 : lib;
    if (TG_ASAN) {
        skip(1, "AddressSanitizer build: the driver is preloaded into every process");
    } else if (named) {
        int loaded = 0;
        for (const long long deadline = now_ms() + WAIT_MS; loaded < n && now_ms() < deadline;) {
            loaded = 0;
            for (int i = 0; i < n && i < 16; i++)
                loaded += maps_have(before[i], base);
            if (loaded < n)
                sleep_ms(50);
        }
        is_int(loaded, n, "spares: each loads the driver (%s) before any client comes", base);
    } else {
        ok(false, "spares: the driver's library is named in %s", getenv("VK_DRIVER_FILES"));
    }
    /* Quiet: some second within the next ten in which neither the server
     * nor a spare used more than 2 clock ticks (one that spins never has
     * one). */
    long long most = -1;
    bool readable = true;
    for (int tries = 0; tries < 10 && readable && (most < 0 || most > 2); tries++) {
        long long ticks[17];
        ticks[0] = cpu_ticks(main_server.pid);
        for (int i = 0; i < n && i < 16; i++)
            ticks[i + 1] = cpu_ticks(before[i]);
        sleep_ms(1000);
        most = cpu_ticks(main_server.pid) - ticks[0];
        readable = ticks[0] >= 0;
        for (int i = 0; i < n && i < 16; i++) {
            const long long used = cpu_ticks(before[i]) - ticks[i + 1];
            readable = readable && ticks[i + 1] >= 0;
            if (used > most)
                most = used;
        }
    }
    ok(readable && most <= 2, "spares: the idle server and its spares sleep (at most %lld clock "
                              "ticks in a second)", most);

    /* Two clients, the second right after the first. */
    struct tg_guest g1, g2;
    struct vkw_conn *c1 = busy_guest(&main_server, &g1, 1);
    clients++;
    struct vkw_conn *c2 = busy_guest(&main_server, &g2, 1);
    clients++;
    ok(c1 && c2, "spares: two clients one right after the other, both served");
    const pid_t w1 = logged_worker(clients - 1), w2 = logged_worker(clients);
    ok(w1 != w2 && pid_in(w1, before, n) && pid_in(w2, before, n),
       "spares: each by a spare that was waiting (%ld, %ld)", (long)w1, (long)w2);
    int m = wait_children(main_server.pid, 2 + VKW_TEST_SPARES, WAIT_MS);
    m = children_list(main_server.pid, after, 16);
    int fresh = 0;
    for (int i = 0; i < m && i < 16; i++)
        fresh += after[i] != w1 && after[i] != w2 && !pid_in(after[i], before, n);
    ok(m == 2 + VKW_TEST_SPARES && fresh == VKW_TEST_SPARES,
       "spares: %d new spares wait beside the two workers", fresh);
    vkw_conn_close(c1);
    vkw_conn_close(c2);
    tg_fini(&g1);
    tg_fini(&g2);
    char want[160];
    snprintf(want, sizeof(want), "client %d disconnected: clean close; destroyed 3 objects\n",
             clients);
    ok(wait_log(&main_server, want, 1), "spares: the spare's client tore down as any worker's");

    /* The spare that replaces a taken one waits a second before it starts
     * the driver (the client that took the other is starting), then does. */
    n = idle_spares(&main_server, clients, before);
    const long long t0 = now_ms();
    c1 = connect_to(&main_server);
    clients++;
    const pid_t taker = logged_worker(clients);
    pid_t replacement = -1;
    for (const long long deadline = now_ms() + WAIT_MS; replacement < 0 && now_ms() < deadline;) {
        m = children_list(main_server.pid, after, 16);
        for (int i = 0; i < m && i < 16; i++)
            if (after[i] != taker && !pid_in(after[i], before, n))
                replacement = after[i];
        if (replacement < 0)
            sleep_ms(10);
    }
    if (now_ms() < t0 + 500)
        sleep_ms((int)(t0 + 500 - now_ms()));
    const bool early = replacement > 0 && maps_have(replacement, base);
    const long long at = now_ms() - t0;
    if (TG_ASAN || !named)
        skip(2, "the driver's library cannot be told from /proc (preloaded or unnamed)");
    else if (at > 900) {
        diag("looked %lld ms after the client came", at);
        skip(2, "too busy to tell whether the replacement spare waited");
    } else {
        ok(replacement > 0 && !early,
           "spares: the one replacing a taken spare has not started the driver %lld ms later", at);
        bool loaded = false;
        for (const long long deadline = now_ms() + WAIT_MS; !loaded && now_ms() < deadline;) {
            loaded = maps_have(replacement, base);
            if (!loaded)
                sleep_ms(50);
        }
        ok(loaded, "spares: and starts it afterwards");
    }
    vkw_conn_close(c1);
    snprintf(want, sizeof(want), "client %d disconnected: clean close; destroyed 0 objects\n",
             clients);
    ok(wait_log(&main_server, want, 1), "spares: a client that leaves before its HELLO");

    /* A spare killed before it served anyone. */
    n = idle_spares(&main_server, clients, before);
    kill(before[0], SIGKILL);
    snprintf(want, sizeof(want), "spare worker pid %ld ended before it served anyone: signal %d",
             (long)before[0], SIGKILL);
    ok(n >= 1 && wait_log(&main_server, want, 1), "spares: a spare killed before use is logged");
    clients++;
    ok(fresh_client_works(&main_server), "spares: the next client is still served");
    fresh = 0;
    m = idle_spares_without(&main_server, clients, before, 1, after, &fresh);
    ok(m == VKW_TEST_SPARES && !pid_in(before[0], after, m),
       "spares: and a new spare takes the killed one's place");

    /* Spares that cannot take a client (stopped), handed one, then killed:
     * the client never sees them. */
    n = idle_spares(&main_server, clients, before);
    for (int i = 0; i < n; i++)
        kill(before[i], SIGSTOP);
    struct tg_guest g;
    tg_init(&g);
    struct vkw_conn *c = connect_to(&main_server);
    clients++;
    const pid_t holder = logged_worker(clients);
    ok(c && pid_in(holder, before, n), "spares: a client handed to a stopped spare (%ld)",
       (long)holder);
    for (int i = 0; i < n; i++)
        kill(before[i], SIGKILL);
    snprintf(want, sizeof(want),
             "client %d: its spare worker (pid %ld) ended before it took the client: signal %d",
             clients, (long)holder, SIGKILL);
    ok(wait_log(&main_server, want, 1), "spares: the server sees the spare end without it");
    const void *reply;
    size_t size;
    if (c && handshake(c, &g)) {
        tg_bring_up(&g);
        ok(exchange(c, &g, &reply, &size) == 0 && tg_count_ok(reply, size, true, NULL) == 3,
           "spares: a fresh worker serves that client from its first message");
    } else {
        ok(false, "spares: a fresh worker serves that client from its first message");
    }
    snprintf(want, sizeof(want), "client %d: worker pid ", clients);
    ok(log_count(&main_server, want) == 1, "spares: and the log names that worker");
    vkw_conn_close(c);
    tg_fini(&g);
    snprintf(want, sizeof(want), "client %d disconnected: clean close; destroyed 2 objects\n",
             clients);
    ok(wait_log(&main_server, want, 1), "spares: it tore down as any worker's client");
    m = idle_spares_without(&main_server, clients, before, n, after, &fresh);
    ok(m == VKW_TEST_SPARES && fresh == m, "spares: new spares replace the killed ones");
}

/* The VkResult a new client's vkCreateInstance gets from server `s`;
 * VK_RESULT_MAX_ENUM when no answer came. */
static VkResult instance_result(const struct server *s)
{
    struct tg_guest g;
    tg_init(&g);
    struct vkw_conn *c = connect_to(s);
    VkResult result = VK_RESULT_MAX_ENUM;
    if (c && handshake(c, &g)) {
        VkInstance instance = TG_INSTANCE(&g);
        VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
        vkw_encode_vkCreateInstance(&g.w, ++g.serial, &ici, NULL, &instance);
        const void *reply;
        size_t size;
        struct tg_replies rs;
        struct vkw_reply_header h;
        struct vkw_reader p;
        if (exchange(c, &g, &reply, &size) == 0) {
            tg_replies_init(&rs, reply, size);
            if (tg_next_reply(&rs, &h, &p) && h.status == VKW_OK)
                result = vkw_decode_reply_vkCreateInstance(&p, &ici, NULL, &instance);
        }
    }
    vkw_conn_close(c);
    tg_fini(&g);
    return result;
}

static void stop_server(struct server *s, const char *what)
{
    kill(s->pid, SIGTERM);
    const int st = wait_exit(s->pid, WAIT_MS);
    if (st < 0)
        kill(s->pid, SIGKILL), waitpid(s->pid, NULL, 0);
    ok(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: the server stops", what);
}

/* --spare-workers 0: a worker is forked when its client comes, as before
 * spares existed. */
static void test_no_spares(void)
{
    struct server s;
    const char *const extra[] = {"--spare-workers", "0", NULL};
    ok(start_server(&s, "nospare", extra), "--spare-workers 0: the server starts");
    sleep_ms(300);
    is_int(children_of(s.pid), 0, "--spare-workers 0: no child while idle");
    ok(fresh_client_works(&s), "--spare-workers 0: a client is served");
    ok(wait_log(&s, "client 1 disconnected: clean close", 1) &&
           wait_children(s.pid, 0, WAIT_MS) == 0,
       "--spare-workers 0: by a worker of its own, gone with it");
    stop_server(&s, "--spare-workers 0");
}

/* A driver that cannot start: the spare's warming fails quietly, and the
 * client gets the driver's own answer, the same with spares as without. */
static void test_broken_driver(void)
{
    char manifest[512];
    snprintf(manifest, sizeof(manifest), "%s/broken_icd.json", tmp_dir);
    FILE *f = fopen(manifest, "w");
    if (f) {
        fprintf(f, "{\"file_format_version\": \"1.0.0\", \"ICD\": {\"library_path\": "
                   "\"%s/no_such_driver.so\", \"api_version\": \"1.3.0\"}}\n",
                tmp_dir);
        fclose(f);
    }
    char *saved = strdup(getenv("VK_DRIVER_FILES") ? getenv("VK_DRIVER_FILES") : "");
    setenv("VK_DRIVER_FILES", manifest, 1);
    setenv("VK_ICD_FILENAMES", manifest, 1);
    struct server with, without;
    const char *const none[] = {"--spare-workers", "0", NULL};
    const bool up = start_server(&with, "broken", NULL) && start_server(&without, "broken0", none);
    setenv("VK_DRIVER_FILES", saved, 1);
    setenv("VK_ICD_FILENAMES", saved, 1);
    free(saved);
    ok(f && up, "a broken driver: servers with and without spares start");
    if (!up)
        return;
    wait_children(with.pid, VKW_TEST_SPARES, WAIT_MS);
    sleep_ms(500); /* the spares have tried the driver */
    const VkResult a = instance_result(&with), b = instance_result(&without);
    ok(a == b && a < 0, "a broken driver: vkCreateInstance fails the same with spares as "
                        "without (%d, %d)", (int)a, (int)b);
    ok(wait_log(&with, "client 1 disconnected: clean close", 1) &&
           log_count(&with, "ended before") == 0,
       "a broken driver: the spare served its client and ended as any worker");
    stop_server(&with, "a broken driver");
    stop_server(&without, "a broken driver, no spares");
}

/* VKWIRE_RECORD_DIR: a spare records its client as a worker does, in
 * client-PID-N.vkws with its own pid. */
static void test_record_dir(void)
{
    char dir[400];
    snprintf(dir, sizeof(dir), "%s/records", tmp_dir);
    mkdir(dir, 0700);
    setenv("VKWIRE_RECORD_DIR", dir, 1);
    struct server s;
    const bool up = start_server(&s, "record", NULL);
    unsetenv("VKWIRE_RECORD_DIR");
    ok(up, "VKWIRE_RECORD_DIR: the server starts");
    if (!up)
        return;
    wait_children(s.pid, VKW_TEST_SPARES, WAIT_MS);
    ok(fresh_client_works(&s) && wait_log(&s, "client 1 disconnected", 1),
       "VKWIRE_RECORD_DIR: a client is served");
    char path[600];
    snprintf(path, sizeof(path), "%s/client-%ld-1.vkws", dir, (long)worker_on(&s, 1));
    struct stat st;
    ok(stat(path, &st) == 0 && st.st_size > 64,
       "VKWIRE_RECORD_DIR: its spare recorded it in client-PID-1.vkws (%lld bytes)",
       (long long)(stat(path, &st) == 0 ? st.st_size : -1));
    stop_server(&s, "VKWIRE_RECORD_DIR");
}

/* In a child: a busy guest that waits for the go signal before leaving. */
static void concurrent_guest(int ready_fd, int go_fd)
{
    alarm(60);
    struct tg_guest g;
    struct vkw_conn *c = busy_guest(&main_server, &g, 4);
    if (!c)
        _exit(1);
    char byte;
    if (write(ready_fd, "r", 1) != 1 || read(go_fd, &byte, 1) != 1)
        _exit(1);
    vkw_conn_close(c);
    tg_fini(&g);
    _exit(0);
}

static void test_concurrent(void)
{
    const char *done = "disconnected: clean close; destroyed 6 objects\n";
    const int before = log_count(&main_server, done);
    int ready[2], go[2];
    if (pipe(ready) != 0 || pipe(go) != 0)
        return;
    pid_t pids[CONCURRENT_CLIENTS];
    for (int i = 0; i < CONCURRENT_CLIENTS; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            close(ready[0]);
            close(go[1]);
            concurrent_guest(ready[1], go[0]);
        }
    }
    close(ready[1]);
    close(go[0]);
    clients += CONCURRENT_CLIENTS;

    int n = 0;
    const long long deadline = now_ms() + 3 * WAIT_MS;
    while (n < CONCURRENT_CLIENTS && now_ms() < deadline) {
        struct pollfd p = {.fd = ready[0], .events = POLLIN};
        char byte;
        if (poll(&p, 1, 1000) == 1 && read(ready[0], &byte, 1) == 1)
            n++;
        else if (p.revents & POLLHUP)
            break; /* every child has gone (some failed) */
    }
    is_int(n, CONCURRENT_CLIENTS, "%d clients hold instance, device and 4 buffers at once",
           CONCURRENT_CLIENTS);
    for (int i = 0; i < CONCURRENT_CLIENTS; i++)
        if (write(go[1], "g", 1) != 1)
            break;
    close(go[1]);
    close(ready[0]);
    int succeeded = 0;
    for (int i = 0; i < CONCURRENT_CLIENTS; i++) {
        int status = wait_exit(pids[i], WAIT_MS);
        if (status < 0)
            kill(pids[i], SIGKILL), waitpid(pids[i], NULL, 0);
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            succeeded++;
    }
    is_int(succeeded, CONCURRENT_CLIENTS, "all %d clients succeeded", CONCURRENT_CLIENTS);
    ok(wait_log(&main_server, done, before + CONCURRENT_CLIENTS),
       "each worker destroyed the 6 objects its client made");
    clients++;
    ok(fresh_client_works(&main_server), "the server serves a new client afterwards");
}

static void test_no_leftovers(void)
{
    char want[64];
    snprintf(want, sizeof(want), "client %d disconnected", clients);
    wait_log(&main_server, want, 1);
    const int n = wait_children(main_server.pid, VKW_TEST_SPARES, WAIT_MS);
    is_int(n, VKW_TEST_SPARES, "every worker has been reaped: no worker or zombie left, only "
                               "the %d spares", VKW_TEST_SPARES);
}

static void test_shutdown_sigterm(void)
{
    struct tg_guest g;
    struct vkw_conn *c = connect_to(&main_server);
    clients++;
    tg_init(&g);
    ok(c && handshake(c, &g), "an idle client is connected");
    VkInstance instance = TG_INSTANCE(&g);
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    vkw_encode_vkCreateInstance(&g.w, ++g.serial, &ici, NULL, &instance);
    const void *reply;
    size_t size;
    ok(c && exchange(c, &g, &reply, &size) == 0, "with an instance");
    pid_t spares[16];
    wait_children(main_server.pid, 1 + VKW_TEST_SPARES, WAIT_MS);
    const int n = children_list(main_server.pid, spares, 16);

    kill(main_server.pid, SIGTERM);
    int status = wait_exit(main_server.pid, WAIT_MS);
    ok(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "SIGTERM: the server exits 0");
    if (status < 0)
        kill(main_server.pid, SIGKILL), waitpid(main_server.pid, NULL, 0);
    struct stat st;
    ok(stat(main_server.path, &st) != 0 && errno == ENOENT, "the socket file is gone");
    ok(log_count(&main_server, "vkwire-server: shutting down") == 1, "it logged the shutdown");
    char want[128];
    snprintf(want, sizeof(want),
             "client %d disconnected: server shutting down; destroyed 1 object\n", clients);
    ok(log_count(&main_server, want) == 1, "the idle client's worker tore down and said so");
    ok(c && closed_by_server(c), "the idle client sees its connection close");
    int alive = 0;
    for (int i = 0; i < n && i < 16; i++)
        alive += kill(spares[i], 0) == 0;
    ok(n == 1 + VKW_TEST_SPARES && alive == 0,
       "its worker and its %d spares have all ended with it", VKW_TEST_SPARES);
    if (c)
        vkw_conn_close(c);
    tg_fini(&g);
}

/* A second server: --max-clients, a busy address, SIGINT. */
static void test_second_server(void)
{
    struct server s;
    const char *const extra[] = {"--max-clients", "1", NULL};
    ok(start_server(&s, "second", extra), "a server with --max-clients 1 starts");
    struct tg_guest g;
    tg_init(&g);
    struct vkw_conn *c1 = connect_to(&s);
    ok(c1 && handshake(c1, &g), "its first client is served");
    struct vkw_conn *c2 = connect_to(&s);
    ok(c2 && closed_by_server(c2), "a second client at once is turned away");
    ok(wait_log(&s, "refused: 1 clients already connected (--max-clients 1)", 1),
       "and the server says why");
    is_int(wait_children(s.pid, 1 + VKW_TEST_SPARES, WAIT_MS), 1 + VKW_TEST_SPARES,
           "the spares do not count as clients: one worker and %d spares", VKW_TEST_SPARES);
    if (c2)
        vkw_conn_close(c2);

    /* Another server on the same address must not steal it. */
    char log[450];
    snprintf(log, sizeof(log), "%s/third.log", tmp_dir);
    const char *args[] = {"--listen", s.address, NULL};
    pid_t other = spawn_server(log, args);
    int status = wait_exit(other, WAIT_MS);
    ok(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 1,
       "a server on an address in use exits 1");
    char *text = read_file(log);
    ok(strstr(text, "already listening") != NULL, "saying another server is listening there");
    free(text);

    kill(s.pid, SIGINT);
    status = wait_exit(s.pid, WAIT_MS);
    ok(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "SIGINT: the server exits 0");
    if (status < 0)
        kill(s.pid, SIGKILL), waitpid(s.pid, NULL, 0);
    struct stat st;
    ok(stat(s.path, &st) != 0 && errno == ENOENT, "the socket file is gone");
    ok(c1 && closed_by_server(c1), "its client sees the connection close");
    if (c1)
        vkw_conn_close(c1);
    tg_fini(&g);
    text = read_file(s.log);
    ok(!strstr(text, "Sanitizer") && !strstr(text, "worker failed") && !strstr(text, "crashed"),
       "the second server's log shows no failure");
    free(text);
}

/* A server with low limits: a client past --max-objects is told which
 * limit it passed, a message over --max-message-size likewise, and the log
 * names the limit with its value; a client within the limits is served. */
static void test_limits_server(void)
{
    struct server s;
    const char *const extra[] = {"--max-objects", "6", "--max-message-size", "4K", NULL};
    ok(start_server(&s, "limits", extra), "a server with --max-objects 6 --max-message-size 4K");

    struct tg_guest g;
    tg_init(&g);
    struct vkw_conn *c = connect_to(&s);
    ok(c && handshake(c, &g), "a client connects");
    tg_bring_up(&g); /* 4 ids */
    tg_create_buffer(&g, 100, 64);
    tg_create_buffer(&g, 101, 64);
    tg_create_buffer(&g, 102, 64); /* the seventh */
    const void *reply;
    size_t size;
    uint32_t status = 0;
    uint64_t value = 0;
    ok(c && exchange(c, &g, &reply, &size) == 0 && tg_error_reply(reply, size, &status, &value) &&
           status == VKW_ERROR_LIMIT && value == VKW_LIMIT_OBJECTS,
       "the seventh object: a limit error naming objects");
    ok(c && closed_by_server(c), "and the connection closes");
    if (c)
        vkw_conn_close(c);
    ok(wait_log(&s, "client 1 ended: protocol error limit objects (6) in vkCreateBuffer", 1),
       "the log names the limit and its value");
    ok(wait_log(&s, "client 1 ended: protocol error limit objects (6) in vkCreateBuffer (serial 7); "
                    "destroyed 4 objects",
                1),
       "and the client's 6 objects were torn down");

    c = connect_to(&s);
    ok(c && handshake(c, &g), "another client connects");
    static uint32_t big[2048]; /* 8 KiB */
    ok(c && vkw_conn_send(c, big, sizeof(big), NULL, 0) == 0 &&
           recv_within(c, &reply, &size, WAIT_MS) == 0 &&
           tg_error_reply(reply, size, &status, &value) && status == VKW_ERROR_LIMIT &&
           value == VKW_LIMIT_MESSAGE_BYTES,
       "an 8 KiB message: a limit error naming message_bytes");
    ok(c && closed_by_server(c), "and the connection closes");
    if (c)
        vkw_conn_close(c);
    ok(wait_log(&s, "client 2 ended: protocol error limit message_bytes (4096)", 1),
       "the log names that limit and its value");

    ok(fresh_client_works(&s), "a client within the limits is served");
    kill(s.pid, SIGTERM);
    int st = wait_exit(s.pid, WAIT_MS);
    ok(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the server stops");
    tg_fini(&g);
}

/* A worker stuck in the driver (a wait with no timeout for a fence that
 * nothing will signal) never sees its client leave: the server kills it
 * --cleanup-timeout after the client hung up, and goes on. */
static void test_stuck_worker(void)
{
    struct server s;
    const char *const extra[] = {"--cleanup-timeout", "1", NULL};
    ok(start_server(&s, "stuck", extra), "a server with --cleanup-timeout 1");
    struct tg_guest g;
    struct vkw_conn *c = busy_guest(&s, &g, 0);
    ok(c != NULL, "a client with a device");
    VkFence fence = VKW_U64_HANDLE(VkFence, 400);
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    vkw_encode_vkCreateFence(&g.w, ++g.serial, TG_DEVICE(&g), &fci, NULL, &fence);
    vkw_encode_vkWaitForFences(&g.w, ++g.serial, TG_DEVICE(&g), 1, &fence, VK_TRUE, UINT64_MAX);
    ok(c && vkw_conn_send(c, g.w.data, g.w.size, NULL, 0) == 0,
       "it makes its worker wait forever for a fence never submitted, and leaves");
    const long long left = now_ms();
    if (c)
        vkw_conn_close(c);
    tg_fini(&g);
    ok(wait_log(&s, "client 1 worker still busy 1 s after its client left (--cleanup-timeout): "
                    "killing pid ",
                1),
       "the server kills the stuck worker");
    const long long took = now_ms() - left;
    ok(took >= 900 && took < 10000, "about a second after the client left (%lld ms)", took);
    ok(wait_log(&s, "client 1 worker killed: still busy after its client left", 1),
       "and logs why it ended");
    const int n = wait_children(s.pid, VKW_TEST_SPARES, WAIT_MS);
    is_int(n, VKW_TEST_SPARES, "no worker left behind (only the spares)");
    ok(fresh_client_works(&s), "a new client is served");
    char want[64];
    snprintf(want, sizeof(want), "client 2 disconnected: clean close");
    ok(wait_log(&s, want, 1) && log_count(&s, "killing pid") == 1,
       "a client that leaves normally is not killed");
    kill(s.pid, SIGTERM);
    const int st = wait_exit(s.pid, WAIT_MS);
    ok(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the server stops");
}

/* Run the server with `args`; its exit status and output. */
static int run_cli(const char *const *args, char **output)
{
    char log[450];
    snprintf(log, sizeof(log), "%s/cli.log", tmp_dir);
    unlink(log);
    int status = wait_exit(spawn_server(log, args), WAIT_MS);
    *output = read_file(log);
    return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_command_line(void)
{
    char *out;
    const char *help[] = {"--help", NULL};
    ok(run_cli(help, &out) == 0 && strstr(out, "--listen") && strstr(out, "Exit status") &&
           strstr(out, "VK_DRIVER_FILES"),
       "--help: exit 0, options, exit statuses and the driver variable");
    free(out);
    const char *version[] = {"--version", NULL};
    ok(run_cli(version, &out) == 0 && strstr(out, "vkwire-server"), "--version: exit 0");
    free(out);
    const char *bogus[] = {"--bogus", NULL};
    ok(run_cli(bogus, &out) == 2, "an unknown option: exit 2");
    free(out);
    const char *bad_count[] = {"--max-clients", "many", NULL};
    ok(run_cli(bad_count, &out) == 2 && strstr(out, "many"), "--max-clients many: exit 2");
    free(out);
    ok(run_cli(help, &out) == 0 && strstr(out, "--max-objects") && strstr(out, "--max-memory") &&
           strstr(out, "--max-in-flight") && strstr(out, "--max-message-size"),
       "--help lists the per-client limits");
    free(out);
    const char *bad_size[] = {"--max-memory", "12X", NULL};
    ok(run_cli(bad_size, &out) == 2 && strstr(out, "12X"), "--max-memory 12X: exit 2");
    free(out);
    const char *zero[] = {"--max-objects", "0", NULL};
    ok(run_cli(zero, &out) == 2, "--max-objects 0: exit 2");
    free(out);
    const char *tiny[] = {"--max-message-size", "10", NULL};
    ok(run_cli(tiny, &out) == 2 && strstr(out, "--max-message-size"),
       "--max-message-size 10: exit 2");
    free(out);
    ok(run_cli(help, &out) == 0 && strstr(out, "--spare-workers"), "--help lists --spare-workers");
    free(out);
    const char *many[] = {"--spare-workers", "65", NULL};
    ok(run_cli(many, &out) == 2 && strstr(out, "--spare-workers"), "--spare-workers 65: exit 2");
    free(out);
    const char *never[] = {"--cleanup-timeout", "0", NULL};
    ok(run_cli(never, &out) == 2 && strstr(out, "--cleanup-timeout"), "--cleanup-timeout 0: exit 2");
    free(out);
    const char *huge[] = {"--max-message-size", "1G", NULL};
    ok(run_cli(huge, &out) == 2, "--max-message-size 1G (over the protocol's): exit 2");
    free(out);
    char address[300];
    snprintf(address, sizeof(address), "unix:%s/nofolder/x/socket", "/proc/self");
    const char *bad_listen[] = {"--listen", address, NULL};
    ok(run_cli(bad_listen, &out) == 1 && strstr(out, "cannot listen"),
       "an address it cannot listen on: exit 1 with the reason");
    free(out);
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

int main(void)
{
    alarm(300); /* a hang fails the test instead of blocking make check */
    const char *icd = tg_use_lavapipe();
    if (!icd) {
        printf("1..0 # SKIP no lavapipe ICD manifest (lvp_icd*.json) on this machine\n");
        return 0;
    }
    const char *builddir = getenv("top_builddir");
    snprintf(server_bin, sizeof(server_bin), "%s/vkwire-server", builddir ? builddir : ".");
    if (access(server_bin, X_OK) != 0) {
        printf("Bail out! %s is not built\n", server_bin);
        return 1;
    }
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof(tmp_dir), "%s/vkwire-server-test-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmp_dir)) {
        printf("Bail out! mkdtemp %s: %s\n", tmp_dir, strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    if (TG_ASAN && !manifest_library(icd, driver_lib, sizeof(driver_lib)))
        diag("cannot read the driver library from %s: leak reports may be unattributed", icd);
    diag("driver: %s; server: %s; folder: %s", icd, server_bin, tmp_dir);

    test_command_line();
    test_startup();
    if (main_server.pid > 0 && tap_.failed == 0) {
        test_lavapipe_guest();
        test_shared_memory();
        test_version_mismatch();
        test_garbage();
        test_killed_client(true);
        test_killed_client(false);
        test_ring();
        test_worker_crash();
        test_spares();
        test_concurrent();
        test_no_leftovers();
        test_second_server();
        test_limits_server();
        test_stuck_worker();
        test_no_spares();
        test_broken_driver();
        test_record_dir();
        test_shutdown_sigterm();

        char *text = read_file(main_server.log);
        ok(!strstr(text, "Sanitizer") && !strstr(text, "worker failed") &&
               count_in(text, "worker crashed") == 1 && !strstr(text, "did not stop in time"),
           "the log shows no failure but the crash the test caused");
        free(text);
    }
    if (tap_.failed)
        dump_log(&main_server);
    else
        remove_tree(tmp_dir);
    return done_testing();
}
