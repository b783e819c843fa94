/* vkw_guest_conn — connections and calls; see vkw_guest_conn.h and vkw_icd.h. */
#define _POSIX_C_SOURCE 200809L /* strnlen, close */
#include "vkw_guest_conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vkw_handshake.h"
#include "vkw_icd.h"
#include "vkw_protocol.h"

/* ---- reply cache: command bytes (less the serial) -> reply payload ---- */

/* The pending batch is sent before it passes this: a bound on what the
 * guest holds back, well under any host's message limit. */
#define VKW_PENDING_MAX_BYTES ((size_t)256 << 10)

#define CACHE_BUCKETS 512
#define CACHE_MAX_BYTES (32u << 20) /* a bound, far above what queries need */

struct cache_entry {
    struct cache_entry *next;
    uint64_t hash;
    size_t key_size, reply_size;
    unsigned char *key, *reply;
};

struct vkw_reply_cache {
    struct cache_entry *buckets[CACHE_BUCKETS];
    size_t bytes;
};

static uint64_t hash_bytes(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static struct cache_entry *cache_find(struct vkw_reply_cache *c, const struct vkw_writer *w,
                                      uint64_t *hash_out)
{
    /* hash everything but the serial (bytes 12..15) */
    uint64_t h = hash_bytes(w->data, 12) ^ (hash_bytes(w->data + 16, w->size - 16) * 31);
    *hash_out = h;
    for (struct cache_entry *e = c->buckets[h % CACHE_BUCKETS]; e; e = e->next)
        if (e->hash == h && e->key_size == w->size - 4 && memcmp(e->key, w->data, 12) == 0 &&
            memcmp(e->key + 12, w->data + 16, w->size - 16) == 0)
            return e;
    return NULL;
}

static void cache_store(struct vkw_reply_cache *c, const struct vkw_writer *w, uint64_t hash,
                        const void *reply, size_t reply_size)
{
    /* the key: the whole command message but its serial (header bytes 12..15) */
    const size_t key_size = w->size - 4;
    if (c->bytes + key_size + reply_size > CACHE_MAX_BYTES)
        return;
    struct cache_entry *e = calloc(1, sizeof(*e));
    unsigned char *k = malloc(key_size), *r = malloc(reply_size ? reply_size : 1);
    if (!e || !k || !r) {
        free(e), free(k), free(r);
        return;
    }
    memcpy(k, w->data, 12);
    memcpy(k + 12, w->data + 16, w->size - 16);
    memcpy(r, reply, reply_size);
    *e = (struct cache_entry){c->buckets[hash % CACHE_BUCKETS], hash, key_size, reply_size, k, r};
    c->buckets[hash % CACHE_BUCKETS] = e;
    c->bytes += key_size + reply_size;
}

static void cache_free(struct vkw_reply_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < CACHE_BUCKETS; i++)
        for (struct cache_entry *e = c->buckets[i], *next; e; e = next) {
            next = e->next;
            free(e->key), free(e->reply), free(e);
        }
    free(c);
}

static bool send_pending(struct vkw_guest_conn *conn, const struct vkw_piece *extra, size_t n,
                         const int *fds, size_t nfds);

/* ---- connections ---- */

void vkw_guest_server_address(char *out, size_t size)
{
    const char *env = getenv("VKWIRE_SERVER");
    if (env && *env)
        snprintf(out, size, "%s", env);
    else
        vkw_transport_default_address(out, size);
}

/* The connection is lost: say why (once), and wake every thread asleep
 * outside the transport (on the sync page), which would otherwise sleep
 * until its next look.  Called in the connection's turn, so no thread is
 * inside the transport meanwhile; threads waiting for the turn find the
 * connection lost when they get it. */
static void mark_lost(struct vkw_guest_conn *conn, const char *why)
{
    if (atomic_exchange(&conn->lost, true))
        return;
    fprintf(stderr, "vkwire: connection to %s lost: %s\n", conn->address, why);
    struct vkw_guest_sync *sync = atomic_load_explicit(&conn->sync, memory_order_acquire);
    if (sync && conn->sync_wake)
        conn->sync_wake(sync);
}

/* Whether reply header `h` (whose message held `size` payload bytes)
 * answers `opcode`/`serial` with status 0; otherwise the connection is
 * lost, with the host's error and its value (`error_value`) in the line. */
static bool reply_header_ok(struct vkw_guest_conn *conn, const struct vkw_reply_header *h,
                            size_t size, uint64_t error_value, uint32_t opcode, uint32_t serial)
{
    if (h->size != size) {
        mark_lost(conn, "malformed reply");
        return false;
    }
    if (h->status != VKW_OK) {
        char why[160];
        const char *name = vkw_opcode_name(h->opcode);
        snprintf(why, sizeof(why), "the host refused %s (serial %u): %s %llu",
                 name ? name : "a command", h->serial, vkw_error_name((enum vkw_error)h->status),
                 (unsigned long long)error_value);
        mark_lost(conn, why);
        return false;
    }
    if (h->opcode != opcode || h->serial != serial) {
        char why[128];
        snprintf(why, sizeof(why), "a reply arrived out of order (opcode %u serial %u, awaited %u/%u)", h->opcode, h->serial, opcode, serial);
        mark_lost(conn, why);
        return false;
    }
    return true;
}

/* Receive one message that holds exactly one reply; its payload becomes
 * conn->reader.  The header must answer `opcode`/`serial`. */
static bool receive_reply(struct vkw_guest_conn *conn, uint32_t opcode, uint32_t serial)
{
    const void *data;
    size_t size, nfds = 0;
    vkw_fd_set_close_rest(&conn->reply_fd_set); /* an earlier reply's, unclaimed */
    int rc = vkw_conn_recv(conn->transport, &data, &size, VKW_MAX_MESSAGE_BYTES,
                           conn->reply_fds, &nfds);
    /* Kept for the decoder (exported fds); closed by vkw_call_end otherwise. */
    conn->reply_fd_set = (struct vkw_fd_set){conn->reply_fds, nfds, 0};
    if (rc < 0) {
        mark_lost(conn, rc == -EPIPE ? "the server closed it" : strerror(-rc));
        return false;
    }
    struct vkw_reader stream;
    struct vkw_reply_header h;
    vkw_reader_init(&stream, data, size, NULL);
    if (!vkw_read_reply_header(&stream, &h)) {
        mark_lost(conn, "malformed reply");
        return false;
    }
    const size_t payload = vkw_reader_remaining(&stream);
    const uint64_t value = h.status != VKW_OK ? vkw_read_u64(&stream) : 0;
    if (!reply_header_ok(conn, &h, payload, value, opcode, serial))
        return false;
    vkw_reader_init(&conn->reader, stream.cur, h.size, NULL);
    conn->reader.fds = &conn->reply_fd_set;
    return true;
}

/* Offer a shared-memory ring (doc/PROTOCOL.md, "Shared-memory ring").
 * False only when the connection broke; a ring that cannot be made or is
 * refused leaves the connection on the socket. */
static bool offer_ring(struct vkw_guest_conn *conn)
{
    int fds[VKW_RING_FDS];
    const uint32_t bytes = (uint32_t)vkw_transport_ring_bytes_from_env();
    if (vkw_conn_ring_create(conn->transport, bytes, fds, NULL, 0) < 0)
        return true; /* no ring here (no memfd, out of memory): the socket works */
    vkw_writer_reset(&conn->w);
    vkw_encode_ring_attach(&conn->w, 0, bytes);
    if (conn->w.failed ||
        vkw_conn_send(conn->transport, conn->w.data, conn->w.size, fds, VKW_RING_FDS) < 0 ||
        !receive_reply(conn, VKW_MSG_RING_ATTACH, 0))
        return false;
    const uint32_t accepted = vkw_read_u32(&conn->reader);
    const uint32_t reserved = vkw_read_u32(&conn->reader);
    if (!vkw_reader_ok(&conn->reader) || vkw_reader_remaining(&conn->reader) != 0 ||
        reserved != 0 || accepted > 1)
        return false;
    if (accepted)
        vkw_conn_ring_start(conn->transport);
    else
        vkw_conn_ring_abandon(conn->transport);
    return true;
}

int vkw_guest_conn_open(const char *address, struct vkw_guest_conn **out, char *err,
                        size_t err_size)
{
    struct vkw_guest_conn *conn = calloc(1, sizeof(*conn));
    if (!conn || !(conn->cache = calloc(1, sizeof(*conn->cache)))) {
        free(conn);
        snprintf(err, err_size, "out of memory");
        return -ENOMEM;
    }
    snprintf(conn->address, sizeof(conn->address), "%s", address);
    pthread_mutex_init(&conn->lock, NULL);
    pthread_cond_init(&conn->turn, NULL);
    vkw_writer_init(&conn->w);
    vkw_writer_init(&conn->pending);
    atomic_init(&conn->lost, false);
    int rc = vkw_transport_connect(address, &conn->transport, err, err_size);
    if (rc < 0) {
        vkw_guest_conn_close(conn);
        return rc;
    }
    vkw_conn_set_spin(conn->transport, vkw_transport_spin_from_env());
    const char *memory = getenv("VKWIRE_MEMORY");
    conn->fds_travel = vkw_conn_passes_fds(conn->transport) &&
                       !(memory && strcmp(memory, "copy-socket") == 0);
    struct vkw_hello hello;
    vkw_hello_local(&hello);
    if (vkw_conn_passes_fds(conn->transport) && vkw_transport_ring_bytes_from_env() != 0)
        hello.features |= VKW_FEATURE_RING;
    if (conn->fds_travel) /* fds, and memfds for the application's host pointers */
        hello.features |= VKW_FEATURE_EXTERNAL_FDS | VKW_FEATURE_HOST_POINTER;
    vkw_encode_hello(&conn->w, &hello);
    rc = vkw_conn_send(conn->transport, conn->w.data, conn->w.size, NULL, 0);
    struct vkw_welcome welcome;
    if (rc < 0 || !receive_reply(conn, VKW_MSG_HELLO, 0) ||
        !vkw_decode_welcome(&conn->reader, &welcome)) {
        snprintf(err, err_size, "%s did not complete the vkwire handshake", address);
        vkw_guest_conn_close(conn);
        return rc < 0 ? rc : -EPROTO;
    }
    if (!welcome.accepted) {
        snprintf(err, err_size, "%s refused the connection: %s", address, welcome.message);
        vkw_guest_conn_close(conn);
        return -EPROTO;
    }
    conn->agreed_minor = welcome.minor;
    conn->agreed_features = welcome.features;
    if ((conn->agreed_features & VKW_FEATURE_RING) && !offer_ring(conn)) {
        snprintf(err, err_size, "%s broke off while the shared-memory ring was offered", address);
        vkw_guest_conn_close(conn);
        return -EPROTO;
    }
    *out = conn;
    return 0;
}

void vkw_guest_conn_close(struct vkw_guest_conn *conn)
{
    if (!conn)
        return;
    if (conn->transport) {
        if (!conn->lost && conn->pending.size)
            send_pending(conn, NULL, 0, NULL, 0); /* e.g. vkDestroyInstance */
        vkw_conn_close(conn->transport);
    }
    vkw_fd_set_close_rest(&conn->reply_fd_set);
    vkw_writer_fini(&conn->w);
    vkw_writer_fini(&conn->pending);
    cache_free(conn->cache);
    if (conn->sync_free)
        conn->sync_free(atomic_load(&conn->sync));
    pthread_cond_destroy(&conn->turn);
    pthread_mutex_destroy(&conn->lock);
    free(conn);
}

/* ---- calls ---- */

void vkw_guest_conn_lock(struct vkw_guest_conn *conn)
{
    pthread_mutex_lock(&conn->lock);
    const unsigned long ticket = conn->next_ticket++;
    while (conn->serving != ticket)
        pthread_cond_wait(&conn->turn, &conn->lock);
    pthread_mutex_unlock(&conn->lock);
}

void vkw_guest_conn_unlock(struct vkw_guest_conn *conn)
{
    pthread_mutex_lock(&conn->lock);
    conn->serving++;
    pthread_cond_broadcast(&conn->turn);
    pthread_mutex_unlock(&conn->lock);
}

static _Thread_local struct vkw_guest_conn *current_conn;

struct vkw_guest_conn *vkw_guest_current_conn(void) { return current_conn; }

/* Ids are unique in the process, not only on their connection: the
 * guest's process-wide tables (memory, command pools, templates, images,
 * requirements) are keyed by handle values, and an application may hold
 * objects of several instances, each on a connection of its own, at once
 * (or make a new instance after a lost one).  Were ids counted per
 * connection, destroying one instance's pool would free another's command
 * buffers under the application (doc/PROTOCOL.md 26). */
static atomic_uint_fast64_t next_id = 1;

uint64_t vkw_guest_new_id(struct vkw_guest_conn *conn)
{
    (void)conn;
    return atomic_fetch_add(&next_id, 1);
}

struct vkw_writer *vkw_call_begin(struct vkw_guest_conn *conn, struct vkw_call *call)
{
    vkw_guest_conn_lock(conn);
    call->conn = conn;
    call->serial = ++conn->next_serial;
    call->fds = NULL;
    call->nfds = 0;
    call->nimported = 0;
    current_conn = conn;
    vkw_writer_reset(&conn->w);
    conn->w.fd_room = conn->fds_travel ? VKW_WIRE_MAX_FDS : 0;
    return &conn->w;
}

/* Send the pending batch followed by `extra` (pieces; its fds go with the
 * message) as one message, and empty the batch.  False when that fails
 * (the connection is then lost). */
static bool send_pending(struct vkw_guest_conn *conn, const struct vkw_piece *extra, size_t n,
                         const int *fds, size_t nfds)
{
    struct vkw_piece pieces[5];
    size_t count = 0;
    if (conn->pending.size)
        pieces[count++] = (struct vkw_piece){conn->pending.data, conn->pending.size};
    for (size_t i = 0; i < n && count < 5; i++)
        pieces[count++] = extra[i];
    int rc = vkw_conn_sendv(conn->transport, pieces, count, fds, nfds);
    vkw_writer_reset(&conn->pending);
    if (rc < 0) {
        mark_lost(conn, strerror(-rc));
        return false;
    }
    return true;
}

/* Whether the command in conn->w may be sent at all. */
static bool command_ok(struct vkw_guest_conn *conn)
{
    if (conn->lost)
        return false;
    if (conn->w.failed) {
        mark_lost(conn, "a command could not be encoded (out of memory or invalid use)");
        return false;
    }
    /* Never send an opcode the host does not know (doc/PROTOCOL.md, "Handshake");
     * vkwire's own messages go by the agreed feature bits instead. */
    uint32_t opcode;
    memcpy(&opcode, conn->w.data, 4);
    if (opcode > conn->agreed_minor && opcode < VKW_PRIVATE_OPCODE_BASE) {
        mark_lost(conn, "the host is older and does not know a command the application used");
        return false;
    }
    return true;
}

/* Send the command in conn->w now, after whatever is pending, with its
 * fds: the call's own (vkwire's messages) or those its encoder wrote. */
static bool send_command(struct vkw_call *call)
{
    struct vkw_guest_conn *conn = call->conn;
    if (!command_ok(conn))
        return false;
    const struct vkw_writer *w = &conn->w;
    const int *fds = call->nfds ? call->fds : w->fds;
    const size_t nfds = call->nfds ? call->nfds : w->nfds;
    /* The application's imports, closed by the caller once they succeed. */
    for (uint32_t i = 0; !call->nfds && i < w->nfds; i++)
        if ((w->fds_imported >> i) & 1u)
            call->imported[call->nimported++] = w->fds[i];
    const struct vkw_piece piece = {w->data, w->size};
    return send_pending(conn, &piece, 1, fds, nfds);
}

/* Whether the command in conn->w starts work on a queue: the batch goes
 * with it, so that the work starts now rather than at the next reply. */
static bool starts_work(const struct vkw_guest_conn *conn)
{
    uint32_t opcode;
    memcpy(&opcode, conn->w.data, 4);
    return opcode == VKW_CMD_vkQueueSubmit || opcode == VKW_CMD_vkQueueSubmit2 ||
           opcode == VKW_CMD_vkQueueBindSparse;
}

/* A command that wants no reply: into the pending batch, unless it carries
 * fds, starts queue work, or the batch has grown past its bound. */
static bool queue_command(struct vkw_call *call)
{
    struct vkw_guest_conn *conn = call->conn;
    if (!command_ok(conn))
        return false;
    if (call->nfds || conn->w.nfds || starts_work(conn) ||
        conn->pending.size + conn->w.size > VKW_PENDING_MAX_BYTES)
        return send_command(call);
    vkw_write_bytes(&conn->pending, conn->w.data, conn->w.size);
    if (conn->pending.failed) {
        mark_lost(conn, "out of memory");
        return false;
    }
    return true;
}

bool vkw_guest_conn_send_recorded(struct vkw_guest_conn *conn, const void *bytes, size_t size)
{
    vkw_guest_conn_lock(conn);
    bool ok = !conn->lost;
    if (ok && size > 0) {
        if (conn->pending.size + size <= VKW_PENDING_MAX_BYTES) {
            vkw_write_bytes(&conn->pending, bytes, size); /* small: goes with the next */
            ok = !conn->pending.failed;
            if (!ok)
                mark_lost(conn, "out of memory");
        } else {
            const struct vkw_piece piece = {bytes, size};
            ok = send_pending(conn, &piece, 1, NULL, 0);
        }
    }
    vkw_guest_conn_unlock(conn);
    return ok;
}

void vkw_guest_conn_flush_locked(struct vkw_guest_conn *conn)
{
    if (!conn->lost && conn->pending.size)
        send_pending(conn, NULL, 0, NULL, 0);
}

void vkw_guest_conn_flush(struct vkw_guest_conn *conn)
{
    vkw_guest_conn_lock(conn);
    vkw_guest_conn_flush_locked(conn);
    vkw_guest_conn_unlock(conn);
}

void vkw_guest_conn_fail(struct vkw_guest_conn *conn, const char *why)
{
    vkw_guest_conn_lock(conn);
    mark_lost(conn, why);
    vkw_guest_conn_unlock(conn);
}

bool vkw_guest_conn_check(struct vkw_guest_conn *conn)
{
    vkw_guest_conn_lock(conn);
    vkw_guest_conn_flush_locked(conn);
    /* No call is under way (this thread has the turn), so a message here
     * was not asked for: the host's error reply for a batch, or its end.
     * Reading it loses the connection, naming the host's reason. */
    if (!conn->lost && vkw_conn_readable_now(conn->transport) &&
        receive_reply(conn, 0, 0))
        mark_lost(conn, "the host sent a reply nobody asked for");
    vkw_fd_set_close_rest(&conn->reply_fd_set);
    const bool ok = !conn->lost;
    vkw_guest_conn_unlock(conn);
    return ok;
}

bool vkw_call_send(struct vkw_call *call)
{
    const bool sent = queue_command(call);
    current_conn = NULL;
    vkw_guest_conn_unlock(call->conn);
    return sent;
}

struct vkw_reader *vkw_call_wait(struct vkw_call *call, bool cacheable)
{
    struct vkw_guest_conn *conn = call->conn;
    uint64_t hash = 0;
    /* Also once lost: what the host said of a physical device stays true,
     * and such queries have no error to return. */
    if (cacheable && !conn->w.failed) {
        struct cache_entry *e = cache_find(conn->cache, &conn->w, &hash);
        if (e) {
            vkw_reader_init(&conn->reader, e->reply, e->reply_size, NULL);
            return &conn->reader;
        }
    }
    uint32_t opcode;
    memcpy(&opcode, conn->w.data, 4);
    if (!send_command(call) || !receive_reply(conn, opcode, call->serial))
        return NULL;
    if (cacheable)
        cache_store(conn->cache, &conn->w, hash, conn->reader.cur,
                    vkw_reader_remaining(&conn->reader));
    return &conn->reader;
}

struct vkw_reader *vkw_call_exchange(struct vkw_call *call, uint32_t opcode, uint32_t serial)
{
    if (!send_command(call) || !receive_reply(call->conn, opcode, serial))
        return NULL;
    return &call->conn->reader;
}

bool vkw_call_end(struct vkw_call *call, struct vkw_reader *r)
{
    struct vkw_guest_conn *conn = call->conn;
    bool ok = r && !conn->lost;
    if (r && (!vkw_reader_ok(r) || vkw_reader_remaining(r) != 0 || conn->reply_left != 0)) {
        mark_lost(conn, "the host sent a reply that does not decode");
        ok = false;
    }
    vkw_fd_set_close_rest(&conn->reply_fd_set); /* fds the reply named are taken */
    current_conn = NULL;
    vkw_guest_conn_unlock(conn);
    return ok;
}

void vkw_call_imported(struct vkw_call *call, bool succeeded)
{
    /* Vulkan: a successful import owns the fd; a failed one leaves it to
     * the application.  The host has its own copy either way. */
    for (uint32_t i = 0; succeeded && i < call->nimported; i++)
        close(call->imported[i]);
    call->nimported = 0;
}

VkResult vkw_call_refuse(struct vkw_call *call, const char *command, VkResult result)
{
    struct vkw_guest_conn *conn = call->conn;
    static atomic_flag said = ATOMIC_FLAG_INIT;
    if (!atomic_flag_test_and_set(&said))
        fprintf(stderr,
                "vkwire: %s: %s\n", command,
                conn->fds_travel
                    ? "a file descriptor the application passed is not open"
                    : "file descriptors cannot travel to the host on this connection "
                      "(VKWIRE_MEMORY=copy-socket, or a transport without fd passing)");
    current_conn = NULL;
    vkw_guest_conn_unlock(conn);
    return result;
}

/* ---- bulk bytes ---- */

static uint64_t padded(uint64_t n)
{
    return (n + 3) & ~(uint64_t)3;
}

void vkw_call_send_bulk(struct vkw_call *call, size_t at, const void *bulk, size_t n)
{
    struct vkw_guest_conn *conn = call->conn;
    struct vkw_writer *w = &conn->w;
    static const uint8_t zeros[4];
    if (n > VKW_MAX_MESSAGE_BYTES)
        w->failed = true; /* callers send bounded runs: this is a bug */
    vkw_end_message_beside(w, at, padded(n));
    if (conn->lost || w->failed) {
        send_command(call); /* says why, once */
    } else {
        const struct vkw_piece pieces[3] = {
            {w->data, w->size}, {bulk, n}, {zeros, (size_t)(padded(n) - n)}};
        send_pending(conn, pieces, 3, NULL, 0);
    }
    current_conn = NULL;
    vkw_guest_conn_unlock(conn);
}

struct vkw_reader *vkw_call_wait_parts(struct vkw_call *call, size_t head)
{
    struct vkw_guest_conn *conn = call->conn;
    conn->reply_left = 0;
    uint32_t opcode;
    memcpy(&opcode, conn->w.data, 4);
    if (head > VKW_CALL_HEAD_MAX || head % 4 != 0) {
        mark_lost(conn, "a reply cannot be read that way (a bug)");
        return NULL;
    }
    if (!send_command(call))
        return NULL;
    size_t size, nfds = 0;
    int fds[VKW_TRANSPORT_MAX_FDS];
    int rc = vkw_conn_recv_begin(conn->transport, &size, VKW_MAX_MESSAGE_BYTES, fds, &nfds);
    for (size_t i = 0; i < nfds; i++)
        close(fds[i]);
    uint64_t first[3]; /* the reply header, and an error reply's value */
    if (rc == 0 && size < VKW_HEADER_BYTES)
        rc = -EPROTO;
    if (rc == 0)
        rc = vkw_conn_recv_part(conn->transport, first, VKW_HEADER_BYTES);
    if (rc < 0) {
        mark_lost(conn, rc == -EPIPE ? "the server closed it" : rc == -EPROTO ? "malformed reply" : strerror(-rc));
        return NULL;
    }
    struct vkw_reader r;
    struct vkw_reply_header h;
    vkw_reader_init(&r, first, VKW_HEADER_BYTES, NULL);
    vkw_read_reply_header(&r, &h);
    const size_t payload = size - VKW_HEADER_BYTES;
    uint64_t value = 0;
    if (h.status != VKW_OK && payload == 8 &&
        vkw_conn_recv_part(conn->transport, &first[2], 8) == 0) {
        vkw_reader_init(&r, &first[2], 8, NULL);
        value = vkw_read_u64(&r);
    }
    if (!reply_header_ok(conn, &h, payload, value, opcode, call->serial))
        return NULL;
    if (payload < head || vkw_conn_recv_part(conn->transport, conn->head, head) != 0) {
        mark_lost(conn, "the host sent a reply that does not decode");
        return NULL;
    }
    conn->reply_left = payload - head;
    vkw_reader_init(&conn->reader, conn->head, head, NULL);
    return &conn->reader;
}

bool vkw_call_read(struct vkw_call *call, void *dst, size_t n)
{
    struct vkw_guest_conn *conn = call->conn;
    if (conn->lost)
        return false;
    if (n > conn->reply_left) {
        mark_lost(conn, "the host sent a reply that does not decode");
        return false;
    }
    int rc = vkw_conn_recv_part(conn->transport, dst, n);
    if (rc < 0) {
        mark_lost(conn, rc == -ECONNRESET ? "the server closed it in the middle of a reply"
                                          : strerror(-rc));
        return false;
    }
    conn->reply_left -= n;
    return true;
}
