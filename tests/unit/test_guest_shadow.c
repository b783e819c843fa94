/* test_guest_shadow — the guest's copied-mode shadows over the socket
 * (runtime/guest/vkw_guest_shadow.c, and the bulk calls of vkw_guest_conn.c)
 * against a fake host on a real unix socket, in a thread.
 *
 * The fake host keeps one memory object of its own and answers
 * WRITE_MEMORY, READ_MEMORY, TRACK_MEMORY, UNTRACK_MEMORY and READ_CHANGED
 * as doc/PROTOCOL.md says, or, on request, with a READ_CHANGED reply that
 * is wrong in one way.  Checked: a pull takes exactly the pages the host
 * changed, keeps the pages the application changed (the documented rule),
 * and the next push sends those; bytes travel in 8 MiB WRITE_MEMORY
 * messages; memory the device cannot write is never pulled nor tracked,
 * and is tracked once it can be; a host without the tracking feature gets
 * whole reads; and every malformed reply loses the connection without a
 * byte landing outside the shadow (ASan watches the shadow's edges).
 */
#define _GNU_SOURCE /* mkdtemp */

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_host_welcome.h"
#include "tap.h"
#include "vkw_guest_conn.h"
#include "vkw_icd.h"
#include "vkw_guest_shadow.h"
#include "vkw_handshake.h"
#include "vkw_memory_messages.h"
#include "vkw_transport.h"
#include "vkw_wire.h"

#define PAGE 4096u
#define MEMORY_ID 7u
#define SIZE (5u * PAGE + 100u) /* five pages and a short one */
#define BIG ((size_t)20 << 20)  /* for the message sizes */

/* How the fake host answers READ_CHANGED. */
enum answer {
    HONEST,
    RUN_OFF_PAGE,     /* a run that does not start on a page */
    RUN_PAST_END,     /* a run longer than what was asked */
    RUNS_BACKWARDS,   /* a second run before the first */
    RUN_EMPTY,        /* a run of 0 bytes */
    RUNS_MISSING,     /* more runs announced than sent */
};

static struct {
    struct vkw_listener *listener;
    pthread_t thread;
    uint64_t features;
    unsigned char *memory, *mirror; /* the memory object; the tracked range's mirror */
    size_t memory_size;
    bool tracked;
    enum answer answer;
    unsigned writes, reads, tracks, untracks, changed_reads; /* messages seen */
    size_t largest_write;
} host;

static void answer_read_changed(struct vkw_reader *r, struct vkw_writer *w)
{
    const uint64_t offset = vkw_read_u64(r), size = vkw_read_u64(r);
    const size_t count_at = w->size;
    vkw_write_u64(w, 0);
    uint64_t runs = 0;
    if (host.answer != HONEST) {
        /* One change is enough to lie about. */
        const uint64_t at = host.answer == RUN_OFF_PAGE ? offset + 8 : offset + PAGE;
        const uint64_t len = host.answer == RUN_PAST_END ? size + PAGE
                             : host.answer == RUN_EMPTY  ? 0
                                                         : PAGE;
        vkw_write_u64(w, at);
        vkw_write_u64(w, len);
        static unsigned char junk[SIZE + 2 * PAGE];
        memset(junk, 0xee, sizeof(junk));
        vkw_write_bytes(w, junk, (size_t)len);
        runs = 1;
        if (host.answer == RUNS_BACKWARDS) {
            vkw_write_u64(w, offset);
            vkw_write_u64(w, PAGE);
            vkw_write_bytes(w, junk, PAGE);
            runs = 2;
        }
        vkw_writer_patch_u64(w, count_at, host.answer == RUNS_MISSING ? 3 : runs);
        return;
    }
    for (uint64_t p = 0; p < size;) {
        const uint64_t len = size - p < PAGE ? size - p : PAGE;
        if (memcmp(host.memory + offset + p, host.mirror + p, len) == 0) {
            p += len;
            continue;
        }
        const uint64_t start = p;
        while (p < size && memcmp(host.memory + offset + p, host.mirror + p,
                                  size - p < PAGE ? size - p : PAGE) != 0)
            p += size - p < PAGE ? size - p : PAGE;
        memcpy(host.mirror + start, host.memory + offset + start, p - start);
        vkw_write_u64(w, offset + start);
        vkw_write_u64(w, p - start);
        vkw_write_bytes(w, host.mirror + start, p - start);
        runs++;
    }
    vkw_writer_patch_u64(w, count_at, runs);
}

/* Answer one command (the guest sends one per message); false to stop. */
static bool answer(const void *data, size_t size, struct vkw_writer *w)
{
    struct vkw_reader r;
    struct vkw_command_header h;
    vkw_reader_init(&r, data, size, NULL);
    if (!vkw_read_command_header(&r, &h))
        return false;
    const bool reply = (h.flags & VKW_COMMAND_FLAG_REPLY) != 0;
    const size_t at = reply ? vkw_begin_reply(w, h.opcode, h.serial, VKW_OK) : 0;
    const uint64_t id = vkw_read_u64(&r);
    (void)id; /* one memory object */
    switch (h.opcode) {
    case VKW_MSG_WRITE_MEMORY: {
        const uint64_t offset = vkw_read_u64(&r), count = vkw_read_u64(&r);
        host.writes++;
        host.largest_write = count > host.largest_write ? count : host.largest_write;
        if (offset + count > host.memory_size || !vkw_read_bytes(&r, host.memory + offset, count))
            return false;
        if (host.tracked && offset < SIZE)
            memcpy(host.mirror + offset, host.memory + offset,
                   offset + count > SIZE ? SIZE - offset : count);
        break;
    }
    case VKW_MSG_READ_MEMORY: {
        const uint64_t offset = vkw_read_u64(&r), count = vkw_read_u64(&r);
        host.reads++;
        if (offset + count > host.memory_size)
            return false;
        if (host.tracked && offset < SIZE)
            memcpy(host.mirror + offset, host.memory + offset,
                   offset + count > SIZE ? SIZE - offset : count);
        vkw_write_u64(w, count);
        vkw_write_bytes(w, host.memory + offset, count);
        break;
    }
    case VKW_MSG_TRACK_MEMORY:
        host.tracks++;
        host.tracked = true;
        memcpy(host.mirror, host.memory, SIZE); /* the tests track [0, SIZE) */
        vkw_write_i32(w, VK_SUCCESS);
        break;
    case VKW_MSG_UNTRACK_MEMORY:
        host.untracks++;
        host.tracked = false;
        break;
    case VKW_MSG_READ_CHANGED:
        host.changed_reads++;
        answer_read_changed(&r, w);
        break;
    default:
        return false;
    }
    if (reply)
        vkw_end_message(w, at);
    return true;
}

/* A batch (doc/PROTOCOL.md, "Batches and order"): the guest sends
 * commands without a reply together with the next one that has one. */
static bool answer_batch(const unsigned char *data, size_t size, struct vkw_writer *w)
{
    while (size >= VKW_HEADER_BYTES) {
        uint32_t len;
        memcpy(&len, data + 8, 4);
        if (len > size - VKW_HEADER_BYTES || !answer(data, VKW_HEADER_BYTES + len, w))
            return false;
        data += VKW_HEADER_BYTES + len;
        size -= VKW_HEADER_BYTES + len;
    }
    return size == 0;
}

static void *host_main(void *arg)
{
    (void)arg;
    struct vkw_conn *c;
    if (vkw_listener_accept(host.listener, &c, NULL, 0) != 0)
        return NULL;
    struct vkw_writer w;
    vkw_writer_init(&w);
    const void *data;
    size_t size;
    if (fake_host_welcome(c, host.features, &w)) {
        while (vkw_conn_recv(c, &data, &size, VKW_MAX_MESSAGE_BYTES, NULL, NULL) == 0) {
            vkw_writer_reset(&w);
            if (!answer_batch(data, size, &w))
                break;
            if (w.size && vkw_conn_send(c, w.data, w.size, NULL, 0) != 0)
                break;
        }
    }
    vkw_writer_fini(&w);
    vkw_conn_close(c);
    return NULL;
}

static char address[160];

/* A fresh fake host with `features`, a guest connection to it. */
static struct vkw_guest_conn *connect_to_host(uint64_t features, enum answer how)
{
    host.features = features;
    host.answer = how;
    host.tracked = false;
    host.writes = host.reads = host.tracks = host.untracks = host.changed_reads = 0;
    host.largest_write = 0;
    memset(host.memory, 0, host.memory_size);
    for (size_t i = 0; i < SIZE; i++)
        host.memory[i] = (unsigned char)(i * 7u + 1u);
    if (pthread_create(&host.thread, NULL, host_main, NULL) != 0)
        BAIL_OUT("pthread_create");
    struct vkw_guest_conn *conn = NULL;
    char err[256];
    if (vkw_guest_conn_open(address, &conn, err, sizeof(err)) != 0)
        BAIL_OUT("connect: %s", err);
    return conn;
}

static void disconnect(struct vkw_guest_conn *conn)
{
    vkw_guest_conn_close(conn);
    pthread_join(host.thread, NULL);
}

/* A round trip (a 4-byte READ_MEMORY, not counted): messages without a
 * reply sent before it have been handled when it returns. */
static void settle(struct vkw_guest_conn *conn)
{
    struct vkw_call call;
    struct vkw_writer *w = vkw_call_begin(conn, &call);
    size_t at = vkw_begin_command(w, VKW_MSG_READ_MEMORY, VKW_COMMAND_FLAG_REPLY, call.serial);
    vkw_write_u64(w, MEMORY_ID);
    vkw_write_u64(w, 0);
    vkw_write_u64(w, 4);
    vkw_end_message(w, at);
    struct vkw_reader *r = vkw_call_wait(&call, false);
    if (r) {
        vkw_read_u64(r);
        vkw_read_u32(r);
    }
    if (!vkw_call_end(&call, r))
        BAIL_OUT("the round trip failed");
    host.reads--;
}

static bool host_has(size_t offset, const unsigned char *want, size_t n)
{
    return memcmp(host.memory + offset, want, n) == 0;
}

static void test_socket_tracked(void)
{
    struct vkw_guest_conn *conn =
        connect_to_host(VKW_FEATURE_MAPPED_MEMORY | VKW_FEATURE_TRACKED_MEMORY, HONEST);
    struct vkw_guest_shadow s;
    ok(vkw_guest_shadow_open(&s, conn, MEMORY_ID, 0, SIZE, true, false, true) == VK_SUCCESS &&
           s.kind == VKW_SHADOW_SOCKET && s.tracked && host.tracks == 1 && host.reads == 1 &&
           memcmp(s.bytes, host.memory, SIZE) == 0,
       "a coherent shadow over the socket: tracked, then read whole");

    ok(vkw_guest_shadow_pull(&s) && host.changed_reads == 1 && memcmp(s.bytes, host.memory, SIZE) == 0,
       "a pull with nothing changed changes nothing");
    host.memory[PAGE + 1] ^= 1; /* the device writes pages 1 and 2 and the short page */
    host.memory[2 * PAGE + 2] ^= 1;
    host.memory[5 * PAGE + 99] ^= 1;
    s.bytes[2 * PAGE + 500] ^= 1; /* the application writes page 2 too ... */
    s.bytes[4 * PAGE] ^= 1;       /* ... and page 4 */
    unsigned char app_page2[PAGE];
    memcpy(app_page2, s.bytes + 2 * PAGE, PAGE);
    ok(vkw_guest_shadow_pull(&s), "a pull after both wrote");
    ok(memcmp(s.bytes + PAGE, host.memory + PAGE, PAGE) == 0 &&
           memcmp(s.bytes + 5 * PAGE, host.memory + 5 * PAGE, 100) == 0,
       "the device's pages the application left alone came back");
    ok(memcmp(s.bytes + 2 * PAGE, app_page2, PAGE) == 0 && s.bytes[4 * PAGE] != host.memory[4 * PAGE],
       "pages the application changed kept its bytes (documented rule)");
    const unsigned writes = host.writes;
    bool pushed = vkw_guest_shadow_push(&s);
    settle(conn);
    ok(pushed && host.writes == writes + 2 && host_has(0, s.bytes, SIZE),
       "the next push sends those two pages, and the host then holds the shadow");
    pushed = vkw_guest_shadow_push(&s);
    settle(conn);
    ok(pushed && host.writes == writes + 2, "a push with nothing changed sends nothing");
    vkw_guest_shadow_close(&s);
    settle(conn);
    ok(host.untracks == 1, "closing untracks");

    /* Big pushes travel in bounded messages, from the shadow itself. */
    host.memory_size = BIG;
    ok(vkw_guest_shadow_open(&s, conn, MEMORY_ID, 0, BIG, true, false, true) == VK_SUCCESS,
       "a 20 MiB coherent shadow");
    memset(s.bytes, 0x5a, BIG);
    const unsigned before = host.writes;
    pushed = vkw_guest_shadow_push(&s);
    settle(conn);
    ok(pushed && host.writes == before + 3 && host.largest_write == (8u << 20) &&
           host_has(0, s.bytes, BIG),
       "a 20 MiB push goes as 8 MiB WRITE_MEMORY messages, every byte");
    vkw_guest_shadow_close(&s);
    host.memory_size = SIZE;
    disconnect(conn);
}

static void test_read_only_and_untracked(void)
{
    struct vkw_guest_conn *conn =
        connect_to_host(VKW_FEATURE_MAPPED_MEMORY | VKW_FEATURE_TRACKED_MEMORY, HONEST);
    struct vkw_guest_shadow s;
    ok(vkw_guest_shadow_open(&s, conn, MEMORY_ID, 0, SIZE, true, false, false) == VK_SUCCESS &&
           !s.tracked && host.tracks == 0,
       "memory the device cannot write: not tracked");
    host.memory[0] ^= 1;
    ok(vkw_guest_shadow_pull(&s) && host.changed_reads == 0 && host.reads == 1,
       "and never pulled");
    s.bytes[3 * PAGE] ^= 1;
    ok(vkw_guest_shadow_device_writes(&s) && s.tracked && host.tracks == 1 &&
           host.memory[3 * PAGE] == s.bytes[3 * PAGE],
       "once the device can write it: pushed, then tracked");
    host.memory[PAGE] ^= 1;
    ok(vkw_guest_shadow_pull(&s) && host.changed_reads == 1 && s.bytes[PAGE] == host.memory[PAGE],
       "and pulled");
    vkw_guest_shadow_close(&s);
    disconnect(conn);

    conn = connect_to_host(VKW_FEATURE_MAPPED_MEMORY, HONEST);
    ok(vkw_guest_shadow_open(&s, conn, MEMORY_ID, 0, SIZE, true, true, true) == VK_SUCCESS &&
           s.kind == VKW_SHADOW_UNTRACKED && host.tracks == 0,
       "a host without the tracking feature: no shared shadow, no tracking");
    host.memory[PAGE] ^= 1;
    s.bytes[2 * PAGE] ^= 1;
    const unsigned reads = host.reads;
    ok(vkw_guest_shadow_pull(&s) && host.reads == reads + 1 && s.bytes[PAGE] == host.memory[PAGE] &&
           s.bytes[2 * PAGE] != host.memory[2 * PAGE],
       "a pull reads everything, keeping the application's page");
    vkw_guest_shadow_close(&s);
    disconnect(conn);
}

static void test_malformed(void)
{
    static const struct {
        enum answer how;
        const char *what;
    } cases[] = {
        {RUN_OFF_PAGE, "a run that does not start on a page"},
        {RUN_PAST_END, "a run past what was asked"},
        {RUNS_BACKWARDS, "runs out of order"},
        {RUN_EMPTY, "an empty run"},
        {RUNS_MISSING, "fewer runs than announced"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vkw_guest_conn *conn =
            connect_to_host(VKW_FEATURE_MAPPED_MEMORY | VKW_FEATURE_TRACKED_MEMORY, cases[i].how);
        struct vkw_guest_shadow s;
        if (vkw_guest_shadow_open(&s, conn, MEMORY_ID, 0, SIZE, true, false, true) != VK_SUCCESS)
            BAIL_OUT("open");
        unsigned char before[SIZE];
        memcpy(before, s.bytes, SIZE);
        const bool pulled = vkw_guest_shadow_pull(&s);
        ok(!pulled && conn->lost, "READ_CHANGED with %s: the connection is lost", cases[i].what);
        const bool off_page_intact = memcmp(s.bytes + 2 * PAGE, before + 2 * PAGE, SIZE - 2 * PAGE) == 0;
        ok(memcmp(s.bytes, before, PAGE) == 0 && off_page_intact,
           "... and no byte outside the run it named landed in the shadow");
        vkw_guest_shadow_close(&s);
        disconnect(conn);
    }
}

int main(void)
{
    alarm(60);
    char dir[] = "/tmp/vkw-shadow-XXXXXX";
    if (!mkdtemp(dir))
        BAIL_OUT("mkdtemp: %s", strerror(errno));
    snprintf(address, sizeof(address), "unix:%s/socket", dir);
    char err[256];
    if (vkw_transport_listen(address, &host.listener, err, sizeof(err)) != 0)
        BAIL_OUT("listen: %s", err);
    host.memory = malloc(BIG);
    host.mirror = malloc(BIG);
    host.memory_size = SIZE;
    if (!host.memory || !host.mirror)
        BAIL_OUT("out of memory");
    test_socket_tracked();
    test_read_only_and_untracked();
    test_malformed();
    vkw_listener_close(host.listener);
    rmdir(dir);
    free(host.memory);
    free(host.mirror);
    return done_testing();
}
