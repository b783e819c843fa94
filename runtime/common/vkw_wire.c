/* vkw_wire — the wire primitives both ends share.
 *
 * Owns: little-endian scalar encoding, padded byte runs, strings, message
 * headers, the growable writer and the bounds-checked reader (vkw_wire.h).
 *
 * Byte order is converted with shifts on byte pointers: correct on any host
 * byte order and alignment, and compilers turn the pattern into one load or
 * store on little-endian targets.
 */
#define _POSIX_C_SOURCE 200809L /* fcntl, close */
#include "vkw_wire.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- errors ---------------------------------------------------------- */

const char *vkw_error_name(enum vkw_error error)
{
    switch (error) {
    case VKW_OK: return "ok";
    case VKW_ERROR_TRUNCATED: return "truncated";
    case VKW_ERROR_TRAILING_BYTES: return "trailing_bytes";
    case VKW_ERROR_BAD_OPCODE: return "bad_opcode";
    case VKW_ERROR_BAD_SIZE: return "bad_size";
    case VKW_ERROR_BAD_COUNT: return "bad_count";
    case VKW_ERROR_BAD_STYPE: return "bad_stype";
    case VKW_ERROR_BAD_ENUM: return "bad_enum";
    case VKW_ERROR_BAD_HANDLE: return "bad_handle";
    case VKW_ERROR_BAD_POINTER: return "bad_pointer";
    case VKW_ERROR_BAD_STRING: return "bad_string";
    case VKW_ERROR_NO_MEMORY: return "no_memory";
    case VKW_ERROR_ID_IN_USE: return "id_in_use";
    case VKW_ERROR_UNSUPPORTED: return "unsupported";
    case VKW_ERROR_BAD_FLAGS: return "bad_flags";
    case VKW_ERROR_BAD_RANGE: return "bad_range";
    case VKW_ERROR_BAD_FD: return "bad_fd";
    case VKW_ERROR_LIMIT: return "limit";
    case VKW_ERROR_COUNT_: break;
    }
    /* A status word from the wire may hold anything. */
    return "unknown";
}

const char *vkw_limit_name(uint64_t limit)
{
    switch (limit) {
    case VKW_LIMIT_OBJECTS: return "objects";
    case VKW_LIMIT_MEMORY_BYTES: return "memory_bytes";
    case VKW_LIMIT_IN_FLIGHT: return "in_flight";
    case VKW_LIMIT_MESSAGE_BYTES: return "message_bytes";
    case VKW_LIMIT_BLOCKING: return "blocking";
    default: return "unknown"; /* an error value from the wire may hold anything */
    }
}

/* ---- byte order ------------------------------------------------------ */

static inline void store_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void store_le64(uint8_t *p, uint64_t v)
{
    store_le32(p, (uint32_t)v);
    store_le32(p + 4, (uint32_t)(v >> 32));
}

static inline uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline uint64_t load_le64(const uint8_t *p)
{
    return (uint64_t)load_le32(p) | (uint64_t)load_le32(p + 4) << 32;
}

/* Round up to a whole word; false when that overflows size_t. */
static inline bool pad4(size_t n, size_t *padded)
{
    if (n > SIZE_MAX - 3)
        return false;
    *padded = (n + 3) & ~(size_t)3;
    return true;
}

/* ---- writer ---------------------------------------------------------- */

/* First allocation: big enough for most single commands, so the common case
 * never reallocates after the first message. */
#define VKW_WRITER_INITIAL_CAPACITY 256u

void vkw_writer_init(struct vkw_writer *w)
{
    w->data = NULL;
    w->size = 0;
    w->capacity = 0;
    w->failed = false;
    w->opcode = 0;
    w->device = NULL;
    w->nfds = 0;
    w->fd_room = VKW_WIRE_MAX_FDS;
    w->fds_imported = 0;
    w->fds_refused = false;
    w->memory = NULL;
}

void vkw_writer_fini(struct vkw_writer *w)
{
    const struct vkw_writer_memory *m = w->memory;
    if (m && w->data)
        m->release(m->user, w->data);
    else if (!m)
        free(w->data);
    vkw_writer_init(w);
    w->memory = m;
}

void vkw_writer_reset(struct vkw_writer *w)
{
    w->size = 0;
    w->failed = false;
    w->nfds = 0;
    w->fds_imported = 0;
    w->fds_refused = false;
}

/* Apart from reserve, whose common path is then one compare. */
static bool writer_grow(struct vkw_writer *w, size_t need)
{
    size_t cap = w->capacity ? w->capacity : VKW_WRITER_INITIAL_CAPACITY;
    while (cap < need)
        cap = cap <= SIZE_MAX / 2 ? cap * 2 : need;
    uint8_t *data = w->memory ? w->memory->resize(w->memory->user, w->data, cap)
                              : realloc(w->data, cap);
    if (!data) {
        w->failed = true;
        return false;
    }
    w->data = data;
    w->capacity = cap;
    return true;
}

void *vkw_writer_reserve(struct vkw_writer *w, size_t bytes)
{
    if (w->failed)
        return NULL;
    /* capacity 0: even a 0-byte reserve needs a real pointer to return. */
    if (bytes > w->capacity - w->size || w->capacity == 0) {
        if (bytes > SIZE_MAX - w->size) {
            w->failed = true;
            return NULL;
        }
        if (!writer_grow(w, w->size + bytes))
            return NULL;
    }
    void *p = w->data + w->size;
    w->size += bytes;
    return p;
}

void vkw_writer_patch_u64(struct vkw_writer *w, size_t at, uint64_t value)
{
    if (w->failed)
        return;
    if (at > w->size || w->size - at < 8) {
        w->failed = true; /* a caller bug: refuse rather than scribble */
        return;
    }
    store_le64(w->data + at, value);
}

void vkw_write_u32(struct vkw_writer *w, uint32_t value)
{
    uint8_t *p = vkw_writer_reserve(w, 4);
    if (p)
        store_le32(p, value);
}

void vkw_write_u64(struct vkw_writer *w, uint64_t value)
{
    uint8_t *p = vkw_writer_reserve(w, 8);
    if (p)
        store_le64(p, value);
}

/* int32_t/int64_t are two's complement by definition, so the casts below
 * keep the bit pattern. */
void vkw_write_i32(struct vkw_writer *w, int32_t value)
{
    vkw_write_u32(w, (uint32_t)value);
}

void vkw_write_i64(struct vkw_writer *w, int64_t value)
{
    vkw_write_u64(w, (uint64_t)value);
}

/* memcpy keeps every bit, NaN payloads and signalling bits included. */
void vkw_write_f32(struct vkw_writer *w, float value)
{
    uint32_t bits;
    _Static_assert(sizeof(float) == 4, "float must be IEEE binary32");
    memcpy(&bits, &value, 4);
    vkw_write_u32(w, bits);
}

void vkw_write_f64(struct vkw_writer *w, double value)
{
    uint64_t bits;
    _Static_assert(sizeof(double) == 8, "double must be IEEE binary64");
    memcpy(&bits, &value, 8);
    vkw_write_u64(w, bits);
}

void vkw_write_bytes(struct vkw_writer *w, const void *bytes, size_t n)
{
    size_t padded;
    if (w->failed)
        return;
    if (!pad4(n, &padded)) {
        w->failed = true;
        return;
    }
    uint8_t *p = vkw_writer_reserve(w, padded);
    if (!p || padded == 0)
        return;
    memcpy(p, bytes, n);
    /* Zero padding: the wire must not leak stale buffer contents and must
     * be byte-identical for identical input. */
    memset(p + n, 0, padded - n);
}

bool vkw_write_presence(struct vkw_writer *w, const void *p)
{
    vkw_write_u32(w, p != NULL);
    return p != NULL;
}

void vkw_write_string(struct vkw_writer *w, const char *s)
{
    if (!s) {
        /* A caller bug; failing beats crashing inside the application. */
        w->failed = true;
        return;
    }
    size_t len = strlen(s);
    vkw_write_u64(w, (uint64_t)len);
    vkw_write_bytes(w, s, len);
}

/* ---- reader ---------------------------------------------------------- */

void vkw_reader_init(struct vkw_reader *r, const void *data, size_t size,
                     struct vkw_arena *arena)
{
    r->cur = data;
    /* Avoid NULL + 0, which UBSan reports. */
    r->end = size ? r->cur + size : r->cur;
    r->arena = arena;
    r->error = VKW_OK;
    r->error_value = 0;
    r->fds = NULL;
}

void vkw_reader_fail(struct vkw_reader *r, enum vkw_error error, uint64_t value)
{
    if (r->error != VKW_OK || error == VKW_OK)
        return;
    r->error = error;
    r->error_value = value;
}

/* Consume `bytes` (already a whole number of words) or fail TRUNCATED with
 * the number of bytes wanted.  NULL after any error. */
static inline const uint8_t *reader_take(struct vkw_reader *r, size_t bytes)
{
    if (r->error != VKW_OK)
        return NULL;
    if (bytes > vkw_reader_remaining(r)) {
        vkw_reader_fail(r, VKW_ERROR_TRUNCATED, bytes);
        return NULL;
    }
    const uint8_t *p = r->cur;
    r->cur += bytes;
    return p;
}

uint32_t vkw_read_u32(struct vkw_reader *r)
{
    const uint8_t *p = reader_take(r, 4);
    return p ? load_le32(p) : 0;
}

uint64_t vkw_read_u64(struct vkw_reader *r)
{
    const uint8_t *p = reader_take(r, 8);
    return p ? load_le64(p) : 0;
}

int32_t vkw_read_i32(struct vkw_reader *r)
{
    uint32_t u = vkw_read_u32(r);
    int32_t v;
    memcpy(&v, &u, 4); /* a cast would be implementation-defined above INT32_MAX */
    return v;
}

int64_t vkw_read_i64(struct vkw_reader *r)
{
    uint64_t u = vkw_read_u64(r);
    int64_t v;
    memcpy(&v, &u, 8);
    return v;
}

float vkw_read_f32(struct vkw_reader *r)
{
    uint32_t u = vkw_read_u32(r);
    float v;
    memcpy(&v, &u, 4);
    return v;
}

double vkw_read_f64(struct vkw_reader *r)
{
    uint64_t u = vkw_read_u64(r);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

bool vkw_read_bytes(struct vkw_reader *r, void *dst, size_t n)
{
    size_t padded;
    if (r->error != VKW_OK)
        return false;
    if (!pad4(n, &padded)) {
        vkw_reader_fail(r, VKW_ERROR_TRUNCATED, n);
        return false;
    }
    /* The padding must be there even though its value is not checked. */
    const uint8_t *p = reader_take(r, padded);
    if (!p)
        return false;
    if (n)
        memcpy(dst, p, n);
    return true;
}

const void *vkw_read_bytes_in_place(struct vkw_reader *r, uint64_t n)
{
    if (r->error != VKW_OK)
        return NULL;
    const size_t left = vkw_reader_remaining(r);
    if (n > left || ((n + 3) & ~(uint64_t)3) > left) {
        vkw_reader_fail(r, VKW_ERROR_TRUNCATED, n);
        return NULL;
    }
    const uint8_t *p = r->cur;
    r->cur += (n + 3) & ~(uint64_t)3;
    return p;
}

bool vkw_read_presence(struct vkw_reader *r)
{
    uint32_t v = vkw_read_u32(r);
    if (v > 1) {
        vkw_reader_fail(r, VKW_ERROR_BAD_POINTER, v);
        return false;
    }
    return v == 1;
}

/* The string body after its length: checks bounds, padding and NULs, and
 * returns the bytes (consumed) or NULL after failing the reader. */
static const uint8_t *read_string_body(struct vkw_reader *r, uint64_t len,
                                       uint64_t max_len)
{
    size_t padded;
    if (r->error != VKW_OK)
        return NULL;
    if (len > max_len) {
        vkw_reader_fail(r, VKW_ERROR_BAD_STRING, len);
        return NULL;
    }
    if (len > vkw_reader_remaining(r) || !pad4((size_t)len, &padded)) {
        vkw_reader_fail(r, VKW_ERROR_TRUNCATED, len);
        return NULL;
    }
    const uint8_t *nul = len ? memchr(r->cur, 0, (size_t)len) : NULL;
    if (nul) {
        /* C would silently cut the string; the value is the NUL's offset. */
        vkw_reader_fail(r, VKW_ERROR_BAD_STRING, (uint64_t)(nul - r->cur));
        return NULL;
    }
    return reader_take(r, padded);
}

char *vkw_read_string(struct vkw_reader *r, size_t max_len)
{
    uint64_t len = vkw_read_u64(r);
    const uint8_t *p = read_string_body(r, len, max_len);
    if (!p)
        return NULL;
    /* len <= remaining <= SIZE_MAX - 1 in practice; alloc checks len + 1. */
    char *s = vkw_reader_alloc(r, len + 1, 1);
    if (!s)
        return NULL;
    if (len)
        memcpy(s, p, (size_t)len);
    s[len] = '\0';
    return s;
}

void vkw_read_string_fixed(struct vkw_reader *r, char *dst, size_t capacity)
{
    uint64_t len = vkw_read_u64(r);
    if (r->error != VKW_OK)
        return;
    if (capacity == 0) {
        vkw_reader_fail(r, VKW_ERROR_BAD_STRING, len);
        return;
    }
    const uint8_t *p = read_string_body(r, len, capacity - 1);
    if (!p)
        return;
    if (len)
        memcpy(dst, p, (size_t)len);
    /* Zero the tail so no stale bytes follow the NUL (replies copy whole
     * arrays back to the guest). */
    memset(dst + len, 0, capacity - (size_t)len);
}

uint64_t vkw_read_count(struct vkw_reader *r, size_t min_wire_bytes)
{
    uint64_t count = vkw_read_u64(r);
    if (r->error != VKW_OK)
        return 0;
    /* Division instead of count * min_wire_bytes: no overflow to exploit. */
    bool fits = min_wire_bytes
                    ? count <= vkw_reader_remaining(r) / min_wire_bytes
                    : count <= VKW_MAX_MESSAGE_BYTES;
    if (!fits) {
        vkw_reader_fail(r, VKW_ERROR_BAD_COUNT, count);
        return 0;
    }
    return count;
}

void *vkw_reader_alloc(struct vkw_reader *r, uint64_t count, size_t size)
{
    if (r->error != VKW_OK)
        return NULL;
    if (size && count > SIZE_MAX / size) {
        vkw_reader_fail(r, VKW_ERROR_NO_MEMORY, count);
        return NULL;
    }
    size_t bytes = (size_t)count * size;
    void *p = r->arena ? vkw_arena_alloc(r->arena, bytes) : NULL;
    if (!p)
        vkw_reader_fail(r, VKW_ERROR_NO_MEMORY, bytes);
    return p;
}

/* ---- messages -------------------------------------------------------- */

/* Both header kinds keep the payload size in word 2, so vkw_end_message
 * needs no idea which kind it patches. */
#define VKW_HEADER_SIZE_OFFSET 8u
_Static_assert(offsetof(struct vkw_command_header, size) == VKW_HEADER_SIZE_OFFSET,
               "command size must be word 2");
_Static_assert(offsetof(struct vkw_reply_header, size) == VKW_HEADER_SIZE_OFFSET,
               "reply size must be word 2");
_Static_assert(sizeof(struct vkw_command_header) == VKW_HEADER_BYTES, "header size");
_Static_assert(sizeof(struct vkw_reply_header) == VKW_HEADER_BYTES, "header size");

static size_t write_header(struct vkw_writer *w, uint32_t w0, uint32_t w1,
                           uint32_t w3)
{
    size_t offset = w->size;
    uint8_t *p = vkw_writer_reserve(w, VKW_HEADER_BYTES);
    if (p) {
        store_le32(p, w0);
        store_le32(p + 4, w1);
        store_le32(p + VKW_HEADER_SIZE_OFFSET, 0);
        store_le32(p + 12, w3);
    }
    return offset;
}

size_t vkw_begin_command(struct vkw_writer *w, uint32_t opcode, uint32_t flags,
                         uint32_t serial)
{
    w->opcode = opcode;
    w->device = NULL;
    return write_header(w, opcode, flags, serial);
}

size_t vkw_begin_reply(struct vkw_writer *w, uint32_t opcode, uint32_t serial,
                       enum vkw_error status)
{
    return write_header(w, opcode, (uint32_t)status, serial);
}

void vkw_end_message(struct vkw_writer *w, size_t header_offset)
{
    vkw_end_message_beside(w, header_offset, 0);
}

void vkw_end_message_beside(struct vkw_writer *w, size_t header_offset, uint64_t beside)
{
    if (w->failed)
        return;
    /* A bad offset is a caller bug; refuse rather than scribble. */
    if (header_offset > w->size || w->size - header_offset < VKW_HEADER_BYTES) {
        w->failed = true;
        return;
    }
    uint64_t payload = (uint64_t)(w->size - header_offset - VKW_HEADER_BYTES);
    if (payload > UINT32_MAX || beside > UINT32_MAX - payload) {
        w->failed = true;
        return;
    }
    payload += beside;
    store_le32(w->data + header_offset + VKW_HEADER_SIZE_OFFSET, (uint32_t)payload);
}

bool vkw_read_command_header(struct vkw_reader *r, struct vkw_command_header *h)
{
    const uint8_t *p = reader_take(r, VKW_HEADER_BYTES);
    if (!p)
        return false;
    h->opcode = load_le32(p);
    h->flags = load_le32(p + 4);
    h->size = load_le32(p + 8);
    h->serial = load_le32(p + 12);
    return true;
}

bool vkw_read_reply_header(struct vkw_reader *r, struct vkw_reply_header *h)
{
    const uint8_t *p = reader_take(r, VKW_HEADER_BYTES);
    if (!p)
        return false;
    h->opcode = load_le32(p);
    h->status = load_le32(p + 4);
    h->size = load_le32(p + 8);
    h->serial = load_le32(p + 12);
    return true;
}

/* ---- file descriptors ------------------------------------------------ */

bool vkw_write_fd(struct vkw_writer *w, int fd, bool imported)
{
    if (fd < 0) {
        vkw_write_u32(w, VKW_NO_FD);
        return false;
    }
    /* A number the application closed (or never had) would fail the whole
     * send (EBADF): it is refused here, where the caller can say so. */
    if (w->nfds >= w->fd_room || w->nfds >= VKW_WIRE_MAX_FDS || fcntl(fd, F_GETFD) < 0) {
        w->fds_refused = true;
        vkw_write_u32(w, VKW_NO_FD);
        return false;
    }
    if (imported)
        w->fds_imported |= 1u << w->nfds;
    vkw_write_u32(w, w->nfds);
    w->fds[w->nfds++] = fd;
    return true;
}

int vkw_fd_set_take(struct vkw_fd_set *set, uint32_t index)
{
    if (!set || index >= set->count || index >= 64 || ((set->taken >> index) & 1u))
        return -1;
    set->taken |= (uint64_t)1 << index;
    return set->fds[index];
}

void vkw_fd_set_close_rest(struct vkw_fd_set *set)
{
    for (size_t i = 0; set->fds && i < set->count; i++)
        if (i >= 64 || !((set->taken >> i) & 1u))
            close(set->fds[i]);
    set->fds = NULL;
    set->count = 0;
    set->taken = 0;
}

int vkw_read_fd(struct vkw_reader *r)
{
    const uint32_t index = vkw_read_u32(r);
    if (!vkw_reader_ok(r) || index == VKW_NO_FD)
        return -1;
    const int fd = vkw_fd_set_take(r->fds, index);
    if (fd < 0)
        vkw_reader_fail(r, VKW_ERROR_BAD_FD, index);
    return fd;
}
