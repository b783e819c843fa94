/* test_wire — the wire primitives of runtime/common/vkw_wire.c.
 *
 * Owns: the byte-exact encoding (expected arrays pin the wire format, so a
 * change to it fails here, not only in a round trip through the same code),
 * round trips of edge values, truncation at every length, sticky errors,
 * count and string bounds, and message headers.
 */
#include <float.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vkw_arena.h"
#include "vkw_wire.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A reader over a heap copy of exactly `size` bytes, so ASan catches any
 * read past the end.  Free with free(*copy). */
static void reader_over(struct vkw_reader *r, const void *data, size_t size,
                        struct vkw_arena *arena, void **copy)
{
    *copy = malloc(size ? size : 1);
    if (!*copy)
        BAIL_OUT("out of memory");
    if (size)
        memcpy(*copy, data, size);
    vkw_reader_init(r, *copy, size, arena);
}

static void test_error_names(void)
{
    static const char *const names[] = {
        "ok", "truncated", "trailing_bytes", "bad_opcode", "bad_size",
        "bad_count", "bad_stype", "bad_enum", "bad_handle", "bad_pointer",
        "bad_string", "no_memory", "id_in_use", "unsupported", "bad_flags",
        "bad_range", "bad_fd", "limit",
    };
    int bad = 0;
    is_int(ARRAY_LEN(names), VKW_ERROR_COUNT_, "every error code has an expected name");
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        if (strcmp(vkw_error_name((enum vkw_error)i), names[i]) != 0) {
            diag("code %zu is '%s', expected '%s'", i, vkw_error_name((enum vkw_error)i),
                 names[i]);
            bad++;
        }
    }
    ok(bad == 0, "error names are stable");
    is_str(vkw_error_name(VKW_ERROR_BAD_HANDLE), "bad_handle", "bad_handle by enum");
    is_str(vkw_error_name(VKW_ERROR_COUNT_), "unknown", "VKW_ERROR_COUNT_ is unknown");
    is_str(vkw_error_name((enum vkw_error)12345), "unknown", "a code off the wire is unknown");

    /* The values of a limit error, numbered on the wire (PROTOCOL.md). */
    static const char *const limits[] = {"unknown", "objects", "memory_bytes", "in_flight",
                                         "message_bytes", "blocking"};
    is_int(ARRAY_LEN(limits), VKW_LIMIT_COUNT_, "every limit has an expected name");
    bad = 0;
    for (size_t i = 0; i < ARRAY_LEN(limits); i++)
        bad += strcmp(vkw_limit_name(i), limits[i]) != 0;
    ok(bad == 0 && !strcmp(vkw_limit_name(UINT64_MAX), "unknown"), "limit names are stable");
}

static void test_scalar_bytes(void)
{
    struct vkw_writer w;
    vkw_writer_init(&w);
    vkw_write_u32(&w, 0x11223344u);
    vkw_write_u64(&w, 0x0102030405060708u);
    vkw_write_i32(&w, -2);
    vkw_write_i32(&w, INT32_MIN);
    vkw_write_i64(&w, -2);
    vkw_write_f32(&w, 1.0f);
    vkw_write_f64(&w, -2.0);
    ok(vkw_write_presence(&w, &w) == true, "presence of a pointer returns true");
    ok(vkw_write_presence(&w, NULL) == false, "presence of NULL returns false");
    static const uint8_t expected[] = {
        0x44, 0x33, 0x22, 0x11,                         /* u32 */
        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* u64: low word first */
        0xfe, 0xff, 0xff, 0xff,                         /* i32 -2 */
        0x00, 0x00, 0x00, 0x80,                         /* i32 INT32_MIN */
        0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* i64 -2 */
        0x00, 0x00, 0x80, 0x3f,                         /* f32 1.0 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, /* f64 -2.0 */
        0x01, 0x00, 0x00, 0x00,                         /* presence 1 */
        0x00, 0x00, 0x00, 0x00,                         /* presence 0 */
    };
    ok(!w.failed, "writer did not fail");
    is_int(w.size, sizeof(expected), "scalars take whole words");
    if (w.size == sizeof(expected))
        is_mem(w.data, expected, sizeof(expected), "scalars are little-endian on the wire");
    else
        skip(1, "size differs");

    /* And the reader decodes the same fixed bytes, not just its own output. */
    struct vkw_reader r;
    void *copy;
    reader_over(&r, expected, sizeof(expected), NULL, &copy);
    is_u64(vkw_read_u32(&r), 0x11223344u, "read u32");
    is_u64(vkw_read_u64(&r), 0x0102030405060708u, "read u64");
    is_int(vkw_read_i32(&r), -2, "read i32 -2");
    is_int(vkw_read_i32(&r), INT32_MIN, "read i32 INT32_MIN");
    is_int(vkw_read_i64(&r), -2, "read i64 -2");
    ok(vkw_read_f32(&r) == 1.0f, "read f32 1.0");
    ok(vkw_read_f64(&r) == -2.0, "read f64 -2.0");
    ok(vkw_read_presence(&r) == true, "read presence 1");
    ok(vkw_read_presence(&r) == false, "read presence 0");
    ok(vkw_reader_ok(&r) && vkw_reader_remaining(&r) == 0, "all bytes consumed, no error");
    free(copy);
    vkw_writer_fini(&w);
}

static void test_round_trips(void)
{
    static const uint32_t u32s[] = {0, 1, 0x7fffffffu, 0x80000000u, 0xfffffffeu, UINT32_MAX};
    static const uint64_t u64s[] = {0, 1, UINT32_MAX, (uint64_t)UINT32_MAX + 1,
                                    INT64_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX};
    static const int32_t i32s[] = {0, 1, -1, INT32_MIN, INT32_MAX, INT32_MIN + 1};
    static const int64_t i64s[] = {0, 1, -1, INT64_MIN, INT64_MAX, (int64_t)INT32_MIN - 1};
    /* Bit patterns: ±0, ±inf, quiet NaN, signalling NaN, NaN with payload
     * and sign, smallest denormal, FLT_MAX. */
    static const uint32_t f32s[] = {0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u,
                                    0x7fc00000u, 0x7f800001u, 0xffbfffffu, 0x00000001u,
                                    0x7f7fffffu};
    static const uint64_t f64s[] = {0, 0x8000000000000000u, 0x7ff0000000000000u,
                                    0xfff0000000000000u, 0x7ff8000000000000u,
                                    0x7ff0000000000001u, 0xfff7ffffffffffffu, 1,
                                    0x7fefffffffffffffu};
    struct vkw_writer w;
    vkw_writer_init(&w);
    for (size_t i = 0; i < ARRAY_LEN(u32s); i++)
        vkw_write_u32(&w, u32s[i]);
    for (size_t i = 0; i < ARRAY_LEN(u64s); i++)
        vkw_write_u64(&w, u64s[i]);
    for (size_t i = 0; i < ARRAY_LEN(i32s); i++)
        vkw_write_i32(&w, i32s[i]);
    for (size_t i = 0; i < ARRAY_LEN(i64s); i++)
        vkw_write_i64(&w, i64s[i]);
    for (size_t i = 0; i < ARRAY_LEN(f32s); i++) {
        float f;
        memcpy(&f, &f32s[i], 4);
        vkw_write_f32(&w, f);
    }
    for (size_t i = 0; i < ARRAY_LEN(f64s); i++) {
        double d;
        memcpy(&d, &f64s[i], 8);
        vkw_write_f64(&w, d);
    }
    size_t words = ARRAY_LEN(u32s) + 2 * ARRAY_LEN(u64s) + ARRAY_LEN(i32s) +
                   2 * ARRAY_LEN(i64s) + ARRAY_LEN(f32s) + 2 * ARRAY_LEN(f64s);
    is_int(w.size, words * 4, "edge values: 32-bit one word, 64-bit two");

    /* The 64-bit values sit at offsets that are only 4-aligned. */
    struct vkw_reader r;
    void *copy;
    reader_over(&r, w.data, w.size, NULL, &copy);
    int bad = 0;
    for (size_t i = 0; i < ARRAY_LEN(u32s); i++)
        bad += vkw_read_u32(&r) != u32s[i];
    for (size_t i = 0; i < ARRAY_LEN(u64s); i++)
        bad += vkw_read_u64(&r) != u64s[i];
    for (size_t i = 0; i < ARRAY_LEN(i32s); i++)
        bad += vkw_read_i32(&r) != i32s[i];
    for (size_t i = 0; i < ARRAY_LEN(i64s); i++)
        bad += vkw_read_i64(&r) != i64s[i];
    ok(bad == 0, "integers round trip at their edges");
    bad = 0;
    for (size_t i = 0; i < ARRAY_LEN(f32s); i++) {
        float f = vkw_read_f32(&r);
        uint32_t bits;
        memcpy(&bits, &f, 4);
        if (bits != f32s[i])
            diag("f32 0x%08x came back as 0x%08x", f32s[i], bits), bad++;
    }
    for (size_t i = 0; i < ARRAY_LEN(f64s); i++) {
        double d = vkw_read_f64(&r);
        uint64_t bits;
        memcpy(&bits, &d, 8);
        if (bits != f64s[i])
            diag("f64 0x%016" PRIx64 " came back as 0x%016" PRIx64, f64s[i], bits), bad++;
    }
    ok(bad == 0, "floats round trip bit for bit (NaN payloads, -0, denormals)");
    ok(vkw_reader_ok(&r) && vkw_reader_remaining(&r) == 0, "round trip consumed everything");
    free(copy);
    vkw_writer_fini(&w);
}

static void test_bytes_padding(void)
{
    static const uint8_t src[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    /* Each byte run followed by a marker word, so padding is seen in place. */
    static const uint8_t expected[] = {
        /* n = 0: nothing */ 0xee, 0xee, 0xee, 0xee,
        /* n = 1 */ 1, 0, 0, 0, 0xee, 0xee, 0xee, 0xee,
        /* n = 2 */ 1, 2, 0, 0, 0xee, 0xee, 0xee, 0xee,
        /* n = 3 */ 1, 2, 3, 0, 0xee, 0xee, 0xee, 0xee,
        /* n = 4 */ 1, 2, 3, 4, 0xee, 0xee, 0xee, 0xee,
        /* n = 5 */ 1, 2, 3, 4, 5, 0, 0, 0, 0xee, 0xee, 0xee, 0xee,
    };
    struct vkw_writer w;
    vkw_writer_init(&w);
    /* Dirty the buffer first: padding must be written, not inherited. */
    for (int i = 0; i < 64; i++)
        vkw_write_u32(&w, UINT32_MAX);
    uint8_t *before = w.data;
    size_t capacity = w.capacity;
    vkw_writer_reset(&w);
    ok(w.size == 0 && w.data == before && w.capacity == capacity,
       "reset keeps the allocation and forgets the contents");
    for (size_t n = 0; n <= 5; n++) {
        vkw_write_bytes(&w, src, n);
        vkw_write_u32(&w, 0xeeeeeeeeu);
    }
    is_int(w.size, sizeof(expected), "byte runs are padded to words");
    if (w.size == sizeof(expected))
        is_mem(w.data, expected, sizeof(expected), "padding is zero, bytes in order");
    else
        skip(1, "size differs");

    struct vkw_reader r;
    void *copy;
    reader_over(&r, expected, sizeof(expected), NULL, &copy);
    int bad = 0;
    for (size_t n = 0; n <= 5; n++) {
        uint8_t dst[8];
        memset(dst, 0x5a, sizeof(dst));
        bad += !vkw_read_bytes(&r, dst, n);
        bad += memcmp(dst, src, n) != 0 || (n < 8 && dst[n] != 0x5a);
        bad += vkw_read_u32(&r) != 0xeeeeeeeeu;
    }
    ok(bad == 0 && vkw_reader_ok(&r) && vkw_reader_remaining(&r) == 0,
       "read_bytes copies exactly n bytes and skips the padding");
    free(copy);

    /* A run whose padding is cut off is truncated, even though its bytes
     * are all there. */
    static const uint8_t three[3] = {1, 2, 3};
    uint8_t dst[3] = {0};
    reader_over(&r, three, 3, NULL, &copy);
    ok(!vkw_read_bytes(&r, dst, 3), "3-byte run without its padding fails");
    is_int(r.error, VKW_ERROR_TRUNCATED, "... with TRUNCATED");
    ok(dst[0] == 0, "... and leaves dst alone");
    free(copy);
    vkw_writer_fini(&w);
}

static void test_strings_bytes(void)
{
    static const uint8_t expected[] = {
        3, 0, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c', 0,        /* "abc" */
        0, 0, 0, 0, 0, 0, 0, 0,                          /* "" */
        4, 0, 0, 0, 0, 0, 0, 0, 'w', 'x', 'y', 'z',      /* "wxyz": no extra word */
        5, 0, 0, 0, 0, 0, 0, 0, 'h', 'e', 'l', 'l', 'o', 0, 0, 0,
    };
    struct vkw_writer w;
    vkw_writer_init(&w);
    vkw_write_string(&w, "abc");
    vkw_write_string(&w, "");
    vkw_write_string(&w, "wxyz");
    vkw_write_string(&w, "hello");
    is_int(w.size, sizeof(expected), "strings: u64 length and padded bytes, no NUL");
    if (w.size == sizeof(expected))
        is_mem(w.data, expected, sizeof(expected), "string wire bytes");
    else
        skip(1, "size differs");

    struct vkw_arena arena;
    vkw_arena_init(&arena, SIZE_MAX);
    struct vkw_reader r;
    void *copy;
    reader_over(&r, expected, sizeof(expected), &arena, &copy);
    is_str(vkw_read_string(&r, SIZE_MAX), "abc", "read abc");
    char *empty = vkw_read_string(&r, 0);
    ok(empty && empty[0] == '\0', "read empty string with max_len 0");
    is_str(vkw_read_string(&r, 4), "wxyz", "length equal to max_len is fine");
    is_str(vkw_read_string(&r, 5), "hello", "read hello");
    ok(vkw_reader_ok(&r) && vkw_reader_remaining(&r) == 0, "strings consumed exactly");
    free(copy);
    vkw_writer_fini(&w);
    vkw_arena_fini(&arena);
}

/* vkw_write_string_fixed (inline in vkw_wire.h): stops at the first NUL
 * and never sends more than capacity-1 bytes, so the reader accepts it. */
static void test_string_fixed_write(void)
{
    static const char name[8] = {'a', 'b', 'c', 0, 'x', 'y', 'z', 'w'};
    static const char full[4] = {'w', 'x', 'y', 'z'};
    static const uint8_t expected[] = {
        3, 0, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c', 0,        /* name: up to its NUL */
        3, 0, 0, 0, 0, 0, 0, 0, 'w', 'x', 'y', 0,        /* full: capacity-1 bytes */
        0, 0, 0, 0, 0, 0, 0, 0,                          /* capacity 1 */
    };
    struct vkw_writer w;
    vkw_writer_init(&w);
    vkw_write_string_fixed(&w, name, sizeof(name));
    vkw_write_string_fixed(&w, full, sizeof(full));
    vkw_write_string_fixed(&w, "q", 1);
    is_int(w.size, sizeof(expected), "fixed strings written");
    if (w.size == sizeof(expected))
        is_mem(w.data, expected, sizeof(expected), "fixed string wire bytes");
    else
        skip(1, "size differs");

    struct vkw_reader r;
    void *copy;
    char a[8], b[4], c[1];
    reader_over(&r, expected, sizeof(expected), NULL, &copy);
    vkw_read_string_fixed(&r, a, sizeof(a));
    vkw_read_string_fixed(&r, b, sizeof(b));
    vkw_read_string_fixed(&r, c, sizeof(c));
    ok(vkw_reader_ok(&r) && !memcmp(a, "abc\0\0\0\0\0", 8) && !memcmp(b, "wxy", 4) &&
           c[0] == 0,
       "fixed strings read back into arrays of the same size");
    free(copy);
    vkw_writer_fini(&w);
}

/* A string message: u64 length, then `n` body bytes (not padded here). */
static size_t make_string(uint8_t *buf, uint64_t len, const char *body, size_t n)
{
    for (int i = 0; i < 8; i++)
        buf[i] = (uint8_t)(len >> (8 * i));
    memcpy(buf + 8, body, n);
    return 8 + n;
}

static void test_string_errors(void)
{
    struct vkw_arena arena;
    vkw_arena_init(&arena, SIZE_MAX);
    struct vkw_reader r;
    void *copy;
    uint8_t buf[64];
    size_t n;

    n = make_string(buf, 5, "hello\0\0", 8);
    reader_over(&r, buf, n, &arena, &copy);
    ok(vkw_read_string(&r, 4) == NULL, "length over max_len fails");
    ok(r.error == VKW_ERROR_BAD_STRING && r.error_value == 5,
       "... with BAD_STRING and the length");
    free(copy);

    n = make_string(buf, 5, "he\0lo\0\0\0", 8);
    reader_over(&r, buf, n, &arena, &copy);
    ok(vkw_read_string(&r, SIZE_MAX) == NULL, "embedded NUL fails");
    ok(r.error == VKW_ERROR_BAD_STRING && r.error_value == 2,
       "... with BAD_STRING and the NUL's offset");
    free(copy);

    n = make_string(buf, 9, "12345678", 8);
    reader_over(&r, buf, n, &arena, &copy);
    ok(vkw_read_string(&r, SIZE_MAX) == NULL && r.error == VKW_ERROR_TRUNCATED,
       "length past the end is TRUNCATED");
    free(copy);

    n = make_string(buf, 5, "hello\0\0", 7); /* one padding byte short */
    reader_over(&r, buf, n, &arena, &copy);
    ok(vkw_read_string(&r, SIZE_MAX) == NULL && r.error == VKW_ERROR_TRUNCATED,
       "string whose padding is cut off is TRUNCATED");
    free(copy);

    n = make_string(buf, UINT64_MAX, "", 0);
    reader_over(&r, buf, n, &arena, &copy);
    ok(vkw_read_string(&r, SIZE_MAX) == NULL && r.error != VKW_OK, "length 2^64-1 fails");
    free(copy);

    /* Arena full: the string cannot be stored. */
    struct vkw_arena tiny;
    vkw_arena_init(&tiny, 16);
    n = make_string(buf, 20, "01234567890123456789", 20);
    reader_over(&r, buf, n, &tiny, &copy);
    ok(vkw_read_string(&r, SIZE_MAX) == NULL && r.error == VKW_ERROR_NO_MEMORY,
       "string larger than the arena limit is NO_MEMORY");
    free(copy);
    vkw_arena_fini(&tiny);

    /* Fixed-size members. */
    char dst[4];
    n = make_string(buf, 3, "abc\0", 4);
    memset(dst, 0x7f, sizeof(dst));
    reader_over(&r, buf, n, &arena, &copy);
    vkw_read_string_fixed(&r, dst, sizeof(dst));
    ok(vkw_reader_ok(&r) && !memcmp(dst, "abc", 4), "fixed: capacity-1 bytes fit");
    free(copy);

    n = make_string(buf, 1, "x\0\0\0", 4);
    memset(dst, 0x7f, sizeof(dst));
    reader_over(&r, buf, n, &arena, &copy);
    vkw_read_string_fixed(&r, dst, sizeof(dst));
    ok(vkw_reader_ok(&r) && !memcmp(dst, "x\0\0\0", 4), "fixed: the rest is zero-filled");
    free(copy);

    n = make_string(buf, 4, "abcd", 4);
    memset(dst, 0x7f, sizeof(dst));
    reader_over(&r, buf, n, &arena, &copy);
    vkw_read_string_fixed(&r, dst, sizeof(dst));
    ok(r.error == VKW_ERROR_BAD_STRING && r.error_value == 4,
       "fixed: capacity bytes leave no room for the NUL: BAD_STRING");
    ok(dst[0] == 0x7f, "fixed: dst untouched on error");
    free(copy);

    n = make_string(buf, 2, "a\0\0\0", 4);
    reader_over(&r, buf, n, &arena, &copy);
    vkw_read_string_fixed(&r, dst, sizeof(dst));
    is_int(r.error, VKW_ERROR_BAD_STRING, "fixed: embedded NUL is BAD_STRING");
    free(copy);

    n = make_string(buf, 0, "", 0);
    char one[1] = {'z'};
    reader_over(&r, buf, n, &arena, &copy);
    vkw_read_string_fixed(&r, one, 1);
    ok(vkw_reader_ok(&r) && one[0] == '\0', "fixed: empty string into char[1]");
    free(copy);

    reader_over(&r, buf, n, &arena, &copy);
    vkw_read_string_fixed(&r, one, 0);
    is_int(r.error, VKW_ERROR_BAD_STRING, "fixed: capacity 0 holds nothing");
    free(copy);

    n = make_string(buf, 3, "ab", 2);
    reader_over(&r, buf, n, &arena, &copy);
    vkw_read_string_fixed(&r, dst, sizeof(dst));
    is_int(r.error, VKW_ERROR_TRUNCATED, "fixed: short body is TRUNCATED");
    free(copy);
    vkw_arena_fini(&arena);
}

/* The same field sequence the truncation test encodes and decodes. */
static void write_sample(struct vkw_writer *w)
{
    static const uint8_t five[5] = {1, 2, 3, 4, 5};
    vkw_write_u32(w, 7);
    vkw_write_u64(w, 0x1122334455667788u);
    vkw_write_bytes(w, five, 5);
    vkw_write_string(w, "hello");
    vkw_write_presence(w, w);
    vkw_write_f64(w, 0.5);
    vkw_write_i32(w, -9);
}

static bool read_sample(struct vkw_reader *r)
{
    uint8_t five[5];
    bool good = vkw_read_u32(r) == 7;
    good &= vkw_read_u64(r) == 0x1122334455667788u;
    good &= vkw_read_bytes(r, five, 5);
    char *s = vkw_read_string(r, SIZE_MAX);
    good &= s && !strcmp(s, "hello");
    good &= vkw_read_presence(r);
    good &= vkw_read_f64(r) == 0.5;
    good &= vkw_read_i32(r) == -9;
    return good;
}

static void test_truncation(void)
{
    struct vkw_writer w;
    vkw_writer_init(&w);
    write_sample(&w);
    struct vkw_arena arena;
    vkw_arena_init(&arena, SIZE_MAX);
    struct vkw_reader r;
    void *copy;

    reader_over(&r, w.data, w.size, &arena, &copy);
    ok(read_sample(&r) && vkw_reader_ok(&r) && vkw_reader_remaining(&r) == 0,
       "sample message decodes at full length (%zu bytes)", w.size);
    free(copy);

    /* Every shorter length, word-aligned or not, must fail TRUNCATED. */
    size_t bad = 0;
    for (size_t len = 0; len < w.size; len++) {
        reader_over(&r, w.data, len, &arena, &copy);
        bool good = read_sample(&r);
        if (good || r.error != VKW_ERROR_TRUNCATED) {
            diag("length %zu: good=%d error=%s", len, good, vkw_error_name(r.error));
            bad++;
        }
        free(copy);
        vkw_arena_reset(&arena);
    }
    ok(bad == 0, "every truncated length fails with TRUNCATED");

    /* A word with 1-3 bytes left, a u64 with 4-7 bytes left. */
    static const uint8_t seven[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    bad = 0;
    for (size_t len = 1; len < 4; len++) {
        reader_over(&r, seven, len, NULL, &copy);
        bad += vkw_read_u32(&r) != 0 || r.error != VKW_ERROR_TRUNCATED || r.cur != copy;
        free(copy);
    }
    for (size_t len = 4; len < 8; len++) {
        reader_over(&r, seven, len, NULL, &copy);
        bad += vkw_read_u64(&r) != 0 || r.error != VKW_ERROR_TRUNCATED || r.cur != copy;
        free(copy);
    }
    ok(bad == 0, "partial words are TRUNCATED and consume nothing");

    struct vkw_command_header h;
    reader_over(&r, seven, 8, NULL, &copy);
    ok(!vkw_read_command_header(&r, &h) && r.error == VKW_ERROR_TRUNCATED,
       "8-byte header is TRUNCATED");
    free(copy);
    vkw_arena_fini(&arena);
    vkw_writer_fini(&w);
}

static void test_sticky_reader(void)
{
    static const uint8_t data[12] = {2, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0};
    struct vkw_reader r;
    void *copy;
    reader_over(&r, data, sizeof(data), NULL, &copy);
    ok(!vkw_read_presence(&r), "presence 2 reads as false");
    ok(r.error == VKW_ERROR_BAD_POINTER && r.error_value == 2,
       "presence 2 is BAD_POINTER with value 2");
    const uint8_t *cur = r.cur;
    is_u64(vkw_read_u32(&r), 0, "reads after an error return 0");
    ok(vkw_read_presence(&r) == false && r.cur == cur, "... and consume nothing");
    vkw_reader_fail(&r, VKW_ERROR_BAD_ENUM, 77);
    ok(r.error == VKW_ERROR_BAD_POINTER && r.error_value == 2, "the first error wins");
    uint8_t dst[4] = {0xaa};
    ok(!vkw_read_bytes(&r, dst, 4) && dst[0] == 0xaa, "read_bytes after an error fails");
    ok(vkw_read_string(&r, SIZE_MAX) == NULL, "read_string after an error is NULL");
    ok(vkw_reader_alloc(&r, 1, 1) == NULL, "reader_alloc after an error is NULL");
    is_u64(vkw_read_count(&r, 0), 0, "read_count after an error is 0");
    free(copy);

    static const uint8_t ff[4] = {0xff, 0xff, 0xff, 0xff};
    reader_over(&r, ff, 4, NULL, &copy);
    vkw_reader_fail(&r, VKW_OK, 5);
    ok(vkw_reader_ok(&r), "failing with VKW_OK records nothing");
    ok(!vkw_read_presence(&r) && r.error == VKW_ERROR_BAD_POINTER &&
           r.error_value == UINT32_MAX,
       "presence 0xffffffff is BAD_POINTER");
    free(copy);

    vkw_reader_init(&r, NULL, 0, NULL);
    ok(vkw_reader_remaining(&r) == 0 && vkw_read_u32(&r) == 0 &&
           r.error == VKW_ERROR_TRUNCATED,
       "empty NULL reader: TRUNCATED on first read");
}

static void count_case(uint64_t count, size_t payload, size_t min, bool want_ok,
                       const char *what)
{
    uint8_t *buf = calloc(1, 8 + payload);
    if (!buf)
        BAIL_OUT("out of memory");
    for (int i = 0; i < 8; i++)
        buf[i] = (uint8_t)(count >> (8 * i));
    struct vkw_reader r;
    vkw_reader_init(&r, buf, 8 + payload, NULL);
    uint64_t got = vkw_read_count(&r, min);
    if (want_ok)
        ok(got == count && vkw_reader_ok(&r), "count %s: accepted", what);
    else
        ok(got == 0 && r.error == VKW_ERROR_BAD_COUNT && r.error_value == count,
           "count %s: BAD_COUNT with the count", what);
    free(buf);
}

static void test_counts(void)
{
    count_case(3, 12, 4, true, "3 x 4 bytes in 12");
    count_case(4, 12, 4, false, "4 x 4 bytes in 12");
    count_case(0, 0, 16, true, "0 in an empty rest");
    count_case(1, 0, 1, false, "1 x 1 byte in an empty rest");
    count_case((uint64_t)1 << 62, 16, 8, false, "2^62 x 8 (wraps to 0 in 64 bits)");
    count_case((uint64_t)1 << 61, 16, 8, false, "2^61 x 8 (wraps to 0 in 64 bits)");
    count_case(UINT64_MAX, 16, 1, false, "2^64-1 x 1");
    count_case(16, 16, 1, true, "16 x 1 byte in 16");
    count_case(VKW_MAX_MESSAGE_BYTES, 0, 0, true, "VKW_MAX_MESSAGE_BYTES x 0 bytes");
    count_case((uint64_t)VKW_MAX_MESSAGE_BYTES + 1, 0, 0, false, "past the sanity bound x 0");
    count_case(UINT64_MAX, 0, 0, false, "2^64-1 x 0 bytes");
}

static void test_reader_alloc(void)
{
    struct vkw_arena arena;
    vkw_arena_init(&arena, 1024);
    struct vkw_reader r;
    vkw_reader_init(&r, NULL, 0, &arena);

    void *zero = vkw_reader_alloc(&r, 0, 64);
    ok(zero != NULL && vkw_reader_ok(&r), "count 0 gives a non-NULL pointer");
    uint32_t *p = vkw_reader_alloc(&r, 16, sizeof(uint32_t));
    bool zeroed = p != NULL;
    for (int i = 0; p && i < 16; i++)
        zeroed &= p[i] == 0;
    ok(zeroed && ((uintptr_t)p & 15) == 0, "allocations are zeroed and 16-aligned");

    ok(vkw_reader_alloc(&r, (uint64_t)1 << 62, 8) == NULL && r.error == VKW_ERROR_NO_MEMORY,
       "count 2^62 x 8 overflows: NO_MEMORY");

    vkw_reader_init(&r, NULL, 0, &arena);
    ok(vkw_reader_alloc(&r, 2048, 1) == NULL && r.error == VKW_ERROR_NO_MEMORY &&
           r.error_value == 2048,
       "past the arena limit: NO_MEMORY with the size");

    vkw_reader_init(&r, NULL, 0, NULL);
    ok(vkw_reader_alloc(&r, 1, 1) == NULL && r.error == VKW_ERROR_NO_MEMORY,
       "no arena: NO_MEMORY");
    vkw_arena_fini(&arena);
}

static void test_headers(void)
{
    struct vkw_writer w;
    vkw_writer_init(&w);
    size_t c = vkw_begin_command(&w, 0x101, VKW_COMMAND_FLAG_REPLY, 0xa0b0c0d0u);
    static const uint8_t open_header[] = {
        0x01, 0x01, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0xd0, 0xc0, 0xb0, 0xa0,
    };
    is_int(c, 0, "first command at offset 0");
    is_mem(w.data, open_header, 16, "command header: opcode, flags, size 0, serial");
    vkw_write_u32(&w, 5);
    vkw_write_u64(&w, 6);
    vkw_end_message(&w, c);

    size_t rep = vkw_begin_reply(&w, 0x101, 0xa0b0c0d0u, VKW_ERROR_BAD_HANDLE);
    is_int(rep, 28, "second message starts after the first");
    vkw_write_u64(&w, 42);
    vkw_end_message(&w, rep);

    size_t empty = vkw_begin_command(&w, 2, 0, 3);
    vkw_end_message(&w, empty);

    static const uint8_t expected[] = {
        0x01, 0x01, 0, 0, 0x01, 0, 0, 0, 12, 0, 0, 0, 0xd0, 0xc0, 0xb0, 0xa0,
        5, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0,
        /* reply: opcode, status, size, serial */
        0x01, 0x01, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0, 0xd0, 0xc0, 0xb0, 0xa0,
        42, 0, 0, 0, 0, 0, 0, 0,
        2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0,
    };
    ok(!w.failed, "writer fine");
    is_int(w.size, sizeof(expected), "three messages");
    if (w.size == sizeof(expected))
        is_mem(w.data, expected, sizeof(expected), "end_message patched each size");
    else
        skip(1, "size differs");

    struct vkw_reader r;
    void *copy;
    reader_over(&r, expected, sizeof(expected), NULL, &copy);
    struct vkw_command_header ch;
    struct vkw_reply_header rh;
    ok(vkw_read_command_header(&r, &ch) && ch.opcode == 0x101 &&
           ch.flags == VKW_COMMAND_FLAG_REPLY && ch.size == 12 && ch.serial == 0xa0b0c0d0u,
       "read command header");
    r.cur += ch.size;
    ok(vkw_read_reply_header(&r, &rh) && rh.opcode == 0x101 &&
           rh.status == VKW_ERROR_BAD_HANDLE && rh.size == 8 && rh.serial == 0xa0b0c0d0u,
       "read reply header");
    free(copy);

    /* Headers are not validated by the reader. */
    static const uint8_t junk[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    reader_over(&r, junk, 16, NULL, &copy);
    ok(vkw_read_command_header(&r, &ch) && ch.size == UINT32_MAX && vkw_reader_ok(&r),
       "read_command_header does not judge contents");
    free(copy);

    vkw_writer_reset(&w);
    vkw_write_u32(&w, 1);
    vkw_end_message(&w, 0);
    ok(w.failed, "end_message with no header there fails the writer");
    vkw_writer_fini(&w);
}

static void test_writer(void)
{
    struct vkw_writer w;
    vkw_writer_init(&w);
    uint8_t *p0 = vkw_writer_reserve(&w, 0);
    ok(p0 != NULL && w.size == 0, "reserve 0 on a new writer is non-NULL");
    uint8_t *p = vkw_writer_reserve(&w, 8);
    ok(p != NULL && w.size == 8 && p == w.data, "reserve hands out the next bytes");

    vkw_writer_reset(&w);
    for (uint32_t i = 0; i < 100000; i++)
        vkw_write_u32(&w, i * 2654435761u);
    bool good = !w.failed && w.size == 400000 && w.capacity >= w.size;
    for (uint32_t i = 0; good && i < 100000; i++) {
        const uint8_t *q = w.data + 4 * i;
        uint32_t v = i * 2654435761u;
        good = q[0] == (uint8_t)v && q[1] == (uint8_t)(v >> 8) &&
               q[2] == (uint8_t)(v >> 16) && q[3] == (uint8_t)(v >> 24);
    }
    ok(good, "100000 words survive growth");

    size_t size = w.size;
    ok(vkw_writer_reserve(&w, SIZE_MAX) == NULL && w.failed, "size_t overflow fails");
    is_int(w.size, size, "... and writes nothing");
    vkw_write_u32(&w, 1);
    vkw_write_u64(&w, 1);
    vkw_write_bytes(&w, "abc", 3);
    vkw_write_string(&w, "abc");
    ok(w.size == size && w.failed, "writes after failure are no-ops");
    ok(vkw_writer_reserve(&w, 4) == NULL, "reserve after failure is NULL");
    ok(vkw_begin_command(&w, 1, 0, 1) == size && w.size == size,
       "begin_command after failure writes nothing");

    vkw_writer_reset(&w);
    ok(!w.failed && w.size == 0, "reset clears the failure");
    vkw_write_u32(&w, 1);
    vkw_write_bytes(&w, "x", SIZE_MAX);
    ok(w.failed && w.size == 4, "padding overflow fails the writer");

    vkw_writer_reset(&w);
    vkw_write_string(&w, NULL);
    ok(w.failed && w.size == 0, "writing a NULL string fails the writer");
    vkw_writer_fini(&w);
    ok(w.data == NULL && w.size == 0 && w.capacity == 0 && !w.failed, "fini leaves it empty");
}

int main(void)
{
    test_error_names();
    test_scalar_bytes();
    test_round_trips();
    test_bytes_padding();
    test_strings_bytes();
    test_string_errors();
    test_string_fixed_write();
    test_truncation();
    test_sticky_reader();
    test_counts();
    test_reader_alloc();
    test_headers();
    test_writer();
    return done_testing();
}
