/* vkw_wire — the wire primitives both ends share.
 *
 * Owns: the byte encoding of scalars, byte runs and message headers
 * (doc/PROTOCOL.md, "Encoding"), the growable writer, the bounds-checked
 * reader with its sticky error, and the protocol error codes.
 *
 * Every item on the wire is a whole number of 4-byte words, little-endian.
 * 8-, 16- and 32-bit values take one word; 64-bit values take two words and
 * need only 4-byte alignment.  Byte runs are padded with zeros to a word.
 *
 * Errors are sticky: after the first failure a writer or reader ignores
 * further work, so generated code checks once at the end rather than after
 * every field.  Readers return 0 for values read after an error.
 */
#ifndef VKW_WIRE_H
#define VKW_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vkw_arena.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Protocol error codes: carried in a reply's status word and logged when a
 * context ends.  Stable: append only (doc/PROTOCOL.md lists them). */
enum vkw_error {
    VKW_OK = 0,
    VKW_ERROR_TRUNCATED = 1,      /* a read went past the end of the message */
    VKW_ERROR_TRAILING_BYTES = 2, /* a message had bytes its decoder did not use */
    VKW_ERROR_BAD_OPCODE = 3,     /* unknown or not-forwarded opcode; value: opcode */
    VKW_ERROR_BAD_SIZE = 4,       /* a header size is impossible; value: the size */
    VKW_ERROR_BAD_COUNT = 5,      /* array count disagrees with its len or is too big */
    VKW_ERROR_BAD_STYPE = 6,      /* sType not allowed here; value: the sType */
    VKW_ERROR_BAD_ENUM = 7,       /* enum value not in the selected API; value: it */
    VKW_ERROR_BAD_HANDLE = 8,     /* id unknown, of another type, or 0 where required */
    VKW_ERROR_BAD_POINTER = 9,    /* presence word other than 0 or 1; value 0: a required pointer absent */
    VKW_ERROR_BAD_STRING = 10,    /* string holds a NUL or is too long */
    VKW_ERROR_NO_MEMORY = 11,     /* the decoder's arena limit or malloc failed */
    VKW_ERROR_ID_IN_USE = 12,     /* a guest-chosen id already names an object */
    VKW_ERROR_UNSUPPORTED = 13,   /* valid encoding that this host cannot carry out */
    VKW_ERROR_BAD_FLAGS = 14,     /* header flag bits this end does not know; value: flags */
    VKW_ERROR_BAD_RANGE = 15,     /* a memory range past its allocation; value: its end */
    VKW_ERROR_BAD_FD = 16,        /* a file descriptor index the batch lacks (or one used
                                   * twice), or a descriptor that is not the memfd asked
                                   * for; value: the index */
    VKW_ERROR_LIMIT = 17,         /* a per-client host limit would be passed; value: which
                                   * (enum vkw_limit) */
    VKW_ERROR_COUNT_
};

const char *vkw_error_name(enum vkw_error error);

/* The limits a host sets per client, as VKW_ERROR_LIMIT names them.
 * Stable: append only (doc/PROTOCOL.md, "Limits"). */
enum vkw_limit {
    VKW_LIMIT_OBJECTS = 1,       /* live ids */
    VKW_LIMIT_MEMORY_BYTES = 2,  /* device memory the client's allocations hold */
    VKW_LIMIT_IN_FLIGHT = 3,     /* queue batches submitted and not yet finished */
    VKW_LIMIT_MESSAGE_BYTES = 4, /* one message received, or one batch's replies */
    VKW_LIMIT_BLOCKING = 5,      /* detached calls sent and not yet collected */
    VKW_LIMIT_COUNT_
};

/* "objects", "memory_bytes", ...; "unknown" for other values. */
const char *vkw_limit_name(uint64_t limit);

/* ---- file descriptors ------------------------------------------------ */

/* File descriptors travel beside a message, never inside it (doc/PROTOCOL.md,
 * "File descriptors"): the bytes carry an fd's index among the message's
 * fds as a u32, or VKW_NO_FD for none (the value -1).  At most
 * VKW_WIRE_MAX_FDS go with one transport message. */
#define VKW_WIRE_MAX_FDS 16u
#define VKW_NO_FD 0xffffffffu

/* The fds that came with a message, taken by index.  Whoever owns the set
 * closes the fds no one took; a taken fd belongs to the taker. */
struct vkw_fd_set {
    const int *fds;
    size_t count;
    uint64_t taken; /* bit i: fds[i] was taken (count is at most 64) */
};

/* ---- writer ---------------------------------------------------------- */

/* Where a writer's buffer comes from when not from realloc and free (the
 * guest's command streams: the application's allocator).  `resize` is
 * realloc's contract (never asked for 0 bytes). */
struct vkw_writer_memory {
    void *(*resize)(void *user, void *old, size_t size);
    void (*release)(void *user, void *p);
    void *user;
};

struct vkw_writer {
    uint8_t *data;
    size_t size;     /* bytes written so far */
    size_t capacity; /* bytes allocated */
    bool failed;     /* sticky: allocation failed, a size overflowed, or a
                      * caller passed an impossible argument */
    /* The command being written, for the lengths that are properties of
     * the device it goes to (gen/annotations.conf `length`): its opcode
     * (vkw_begin_command sets it and clears `device`) and that device, as
     * the generated encoder of such a command sets it (opaque here). */
    uint32_t opcode;
    const void *device;
    /* The fds that travel beside the bytes, in index order.  The writer
     * does not own them: its user keeps them open until the message has
     * gone, and closes those that are its own. */
    int fds[VKW_WIRE_MAX_FDS];
    uint32_t nfds;
    uint32_t fd_room;     /* how many this message may carry: VKW_WIRE_MAX_FDS
                           * after init, 0 where the transport passes none */
    uint32_t fds_imported; /* bit i: fds[i] is given away by a successful call
                            * (an import), so its sender closes it then */
    bool fds_refused;     /* an fd was not open, or found no room: it went as
                           * VKW_NO_FD (not a failure: the caller decides) */
    const struct vkw_writer_memory *memory; /* NULL: realloc and free */
};

/* An empty writer whose buffer comes from realloc (set `memory` after). */
void vkw_writer_init(struct vkw_writer *w);
/* Free the buffer: the writer is empty again, with the same `memory`. */
void vkw_writer_fini(struct vkw_writer *w);
/* Forget the contents (and the failure, and the fds) but keep the
 * allocation and the fd room. */
void vkw_writer_reset(struct vkw_writer *w);
/* Append `bytes` (a multiple of 4) uninitialised bytes for the caller to
 * fill: returns where they start (size already counts them), or NULL once
 * failed.  The pointer is valid until the next write. */
void *vkw_writer_reserve(struct vkw_writer *w, size_t bytes);

/* Overwrite the u64 written at offset `at` (a count known only later). */
void vkw_writer_patch_u64(struct vkw_writer *w, size_t at, uint64_t value);

void vkw_write_u32(struct vkw_writer *w, uint32_t value);
void vkw_write_u64(struct vkw_writer *w, uint64_t value);
void vkw_write_i32(struct vkw_writer *w, int32_t value);
void vkw_write_i64(struct vkw_writer *w, int64_t value);
void vkw_write_f32(struct vkw_writer *w, float value);
void vkw_write_f64(struct vkw_writer *w, double value);
/* `n` raw bytes, then zero padding to the next word. */
void vkw_write_bytes(struct vkw_writer *w, const void *bytes, size_t n);
/* Pointer presence word: 1 when `p` is non-NULL. Returns whether it was. */
bool vkw_write_presence(struct vkw_writer *w, const void *p);
/* A string: u64 length without the NUL, then the bytes, padded. NULL is
 * not a string (the writer fails); callers write presence first where NULL
 * is allowed. */
void vkw_write_string(struct vkw_writer *w, const char *s);
/* A fixed char[`capacity`] member as a string: at most capacity-1 bytes,
 * stopping at the first NUL (the array need not hold one). */
static inline void vkw_write_string_fixed(struct vkw_writer *w, const char *s, size_t capacity)
{
    const size_t max = capacity ? capacity - 1 : 0;
    const char *nul = (const char *)memchr(s, 0, max);
    const size_t n = nul ? (size_t)(nul - s) : max;
    vkw_write_u64(w, n);
    vkw_write_bytes(w, s, n);
}

/* An fd beside the message: writes its index, or VKW_NO_FD for a negative
 * `fd`.  `imported`: the call gives it away when it succeeds.  An fd that
 * is not open (fcntl F_GETFD), or one past the room, goes as VKW_NO_FD and
 * sets fds_refused; true when it was added. */
bool vkw_write_fd(struct vkw_writer *w, int fd, bool imported);

/* ---- reader ---------------------------------------------------------- */

struct vkw_reader {
    const uint8_t *cur;
    const uint8_t *end;
    struct vkw_arena *arena; /* where decoders put arrays, strings, structs */
    enum vkw_error error;    /* sticky; the first error wins */
    uint64_t error_value;    /* the offending value: a size, an id, an sType */
    struct vkw_fd_set *fds;  /* the message's fds (NULL: it has none); set
                              * after vkw_reader_init */
};

/* `data` must be 4-byte aligned; `size` need not be a multiple of 4. */
void vkw_reader_init(struct vkw_reader *r, const void *data, size_t size,
                     struct vkw_arena *arena);
/* Record the first error; later ones (and VKW_OK) are ignored. */
void vkw_reader_fail(struct vkw_reader *r, enum vkw_error error, uint64_t value);
static inline bool vkw_reader_ok(const struct vkw_reader *r) { return r->error == VKW_OK; }
static inline size_t vkw_reader_remaining(const struct vkw_reader *r)
{
    return (size_t)(r->end - r->cur);
}

uint32_t vkw_read_u32(struct vkw_reader *r);
uint64_t vkw_read_u64(struct vkw_reader *r);
int32_t vkw_read_i32(struct vkw_reader *r);
int64_t vkw_read_i64(struct vkw_reader *r);
float vkw_read_f32(struct vkw_reader *r);
double vkw_read_f64(struct vkw_reader *r);
/* Copy `n` bytes into `dst` and skip the padding, which must be present
 * (TRUNCATED otherwise) but whose value is not checked.  False on error;
 * `dst` is then untouched. */
bool vkw_read_bytes(struct vkw_reader *r, void *dst, size_t n);
/* A byte run of `n` bytes where it lies in the message: no copy.  The
 * padding must be there too.  NULL on error (TRUNCATED, value `n`); the
 * bytes stay valid as long as the message does. */
const void *vkw_read_bytes_in_place(struct vkw_reader *r, uint64_t n);
/* Presence word: true for 1, false for 0, anything else fails. */
bool vkw_read_presence(struct vkw_reader *r);
/* A string into the arena, NUL-terminated; NULL on error.  Fails with
 * BAD_STRING when the bytes hold a NUL (value: its offset) or the length
 * exceeds `max_len` (value: the length; pass SIZE_MAX when the remaining
 * bytes are the only bound), TRUNCATED when the bytes or their padding are
 * not all there, NO_MEMORY when the arena is full. */
char *vkw_read_string(struct vkw_reader *r, size_t max_len);
/* A string into a fixed char[`capacity`] member: at most capacity-1 bytes
 * (BAD_STRING otherwise); the rest of `dst` is zeroed.  Untouched on error. */
void vkw_read_string_fixed(struct vkw_reader *r, char *dst, size_t capacity);
/* An array count: u64, checked so that `count` elements of at least
 * `min_wire_bytes` each can still be in the message (the bound that keeps a
 * hostile count from allocating).  With `min_wire_bytes` 0 the bound is
 * VKW_MAX_MESSAGE_BYTES.  Returns 0 and fails BAD_COUNT (value: the count)
 * otherwise. */
uint64_t vkw_read_count(struct vkw_reader *r, size_t min_wire_bytes);
/* An fd index (a u32) and the fd it names, taken from r->fds: -1 for
 * VKW_NO_FD; BAD_FD (value: the index) when the set has no such fd or it
 * was taken.  The caller owns what it returns. */
int vkw_read_fd(struct vkw_reader *r);
/* Take fds[index] of `set`: -1 when there is no such fd or it was taken. */
int vkw_fd_set_take(struct vkw_fd_set *set, uint32_t index);
/* Close every fd of `set` no one took, and forget them. */
void vkw_fd_set_close_rest(struct vkw_fd_set *set);

/* Zeroed arena memory for `count` elements of `size` bytes, overflow-checked;
 * NULL (and the reader failed with NO_MEMORY) when it cannot. Count 0 gives a
 * valid non-NULL pointer. */
void *vkw_reader_alloc(struct vkw_reader *r, uint64_t count, size_t size);

/* ---- messages -------------------------------------------------------- */

/* A command: this header then the parameters; `size` counts the payload. */
struct vkw_command_header {
    uint32_t opcode;
    uint32_t flags;  /* VKW_COMMAND_FLAG_* */
    uint32_t size;   /* payload bytes, a multiple of 4 */
    uint32_t serial; /* chosen by the guest, echoed in the reply */
};
#define VKW_COMMAND_FLAG_REPLY 0x1u /* the guest waits for a reply */
/* With REPLY, on a command that may block (runtime/common/vkw_detach.h):
 * the host may run its driver call on a thread of its own and holds its
 * reply for COLLECT. */
#define VKW_COMMAND_FLAG_DETACH 0x2u
#define VKW_COMMAND_FLAGS_KNOWN (VKW_COMMAND_FLAG_REPLY | VKW_COMMAND_FLAG_DETACH)

/* A reply: this header then, for status VKW_OK, the command's reply
 * payload; for a protocol error, one u64 with the offending value.
 * Laid out word for word like the command header (opcode, status in place
 * of flags, size, serial): framing and logging read either kind alike, and
 * vkw_end_message finds the size in word 2 without knowing the kind. */
struct vkw_reply_header {
    uint32_t opcode; /* the command's opcode */
    uint32_t status; /* enum vkw_error */
    uint32_t size;   /* payload bytes, a multiple of 4 */
    uint32_t serial; /* the command's serial */
};

#define VKW_HEADER_BYTES 16u
/* The largest message either end accepts: a bound, not a promise. */
#define VKW_MAX_MESSAGE_BYTES (256u * 1024u * 1024u)

/* Start a message: writes the header (16 bytes, the struct's fields in
 * order) with size 0 and returns its offset for vkw_end_message, which
 * patches the size to the bytes written after the header.  end_message fails
 * the writer when the offset is not a header's or the payload exceeds
 * UINT32_MAX; VKW_MAX_MESSAGE_BYTES is enforced where messages are read
 * (vkw_host_context_execute for commands). */
size_t vkw_begin_command(struct vkw_writer *w, uint32_t opcode, uint32_t flags,
                         uint32_t serial);
size_t vkw_begin_reply(struct vkw_writer *w, uint32_t opcode, uint32_t serial,
                       enum vkw_error status);
void vkw_end_message(struct vkw_writer *w, size_t header_offset);
/* The same for a message of which `beside` payload bytes travel next to the
 * writer (bulk bytes sent from where they lie, vkw_transport.h's pieces):
 * the size counts them too. */
void vkw_end_message_beside(struct vkw_writer *w, size_t header_offset, uint64_t beside);

/* Parse a header from the front of `r` (16 bytes). False on truncation.
 * The contents are not validated. */
bool vkw_read_command_header(struct vkw_reader *r, struct vkw_command_header *h);
bool vkw_read_reply_header(struct vkw_reader *r, struct vkw_reply_header *h);

#ifdef __cplusplus
}
#endif

#endif /* VKW_WIRE_H */
