/* roundtrip_support — see roundtrip_support.h. */
#define _POSIX_C_SOURCE 200809L /* O_CLOEXEC, close */
#include "roundtrip_support.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vkw_device_length.h"
#include "vkw_guest_handles.h"
#include "vkw_guest_lengths.h"

static struct rt *the_rt; /* for vkw_guest_handle_from_id, which has no user pointer */

void rt_init(struct rt *t, uint64_t seed)
{
    memset(t, 0, sizeof(*t));
    t->rng = seed ? seed : 1;
    vkw_arena_init(&t->fill, 512u << 20);
    vkw_arena_init(&t->decode, 512u << 20);
    vkw_object_table_init(&t->objects, 1u << 24);
    t->next_id = 0x1000;
    for (size_t i = 0; i < sizeof(t->fds) / sizeof(t->fds[0]); i++)
        t->fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    the_rt = t;
}

void rt_fini(struct rt *t)
{
    /* Dispatchable objects live in malloc'd memory so they outlive cases. */
    for (size_t i = 0; i < t->handle_count; i++)
        if (t->handles[i].guest != t->handles[i].id)
            free((void *)(uintptr_t)t->handles[i].guest);
    free(t->handles);
    vkw_object_table_fini(&t->objects);
    vkw_arena_fini(&t->fill);
    vkw_arena_fini(&t->decode);
    for (size_t i = 0; i < sizeof(t->fds) / sizeof(t->fds[0]); i++)
        close(t->fds[i]);
    the_rt = NULL;
}

int rt_fd(struct rt *t)
{
    const uint32_t pick = rt_below(t, 5);
    return pick == 0 ? -1 : t->fds[pick - 1];
}

void rt_fds_beside(struct rt *t, struct vkw_reader *r, const struct vkw_writer *w)
{
    /* The same numbers: nothing is duplicated, nothing needs closing. */
    t->fd_set = (struct vkw_fd_set){w->fds, w->nfds, 0};
    r->fds = &t->fd_set;
}

void rt_reset_case(struct rt *t)
{
    vkw_arena_reset(&t->fill);
    vkw_arena_reset(&t->decode);
    t->mismatch = NULL;
}

uint64_t rt_u64(struct rt *t)
{
    /* xorshift64*: fast, and the same sequence on every machine. */
    uint64_t x = t->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    t->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

uint32_t rt_u32(struct rt *t) { return (uint32_t)(rt_u64(t) >> 32); }
bool rt_coin(struct rt *t) { return rt_u64(t) >> 63; }
uint32_t rt_below(struct rt *t, uint32_t n) { return n ? rt_u32(t) % n : 0; }
float rt_f32(struct rt *t) { return (float)(int32_t)rt_u32(t) / 1024.0f; }
double rt_f64(struct rt *t) { return (double)(int64_t)rt_u64(t) / 4096.0; }
uint32_t rt_count(struct rt *t) { return rt_below(t, 7); }

void *rt_alloc(struct rt *t, size_t count, size_t size)
{
    void *p = vkw_arena_alloc(&t->fill, count * size);
    if (!p) {
        fprintf(stderr, "Bail out! test arena exhausted\n");
        exit(1);
    }
    return p;
}

void rt_bytes(struct rt *t, void *dst, size_t n)
{
    unsigned char *p = dst;
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)rt_u32(t);
}

static void fill_chars(struct rt *t, char *dst, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (char)('a' + rt_below(t, 26));
    dst[n] = 0;
}

char *rt_string(struct rt *t)
{
    size_t n = rt_below(t, 12);
    char *s = rt_alloc(t, n + 1, 1);
    fill_chars(t, s, n);
    return s;
}

void rt_fixed_string(struct rt *t, char *dst, size_t capacity)
{
    memset(dst, 0, capacity);
    fill_chars(t, dst, rt_below(t, (uint32_t)capacity));
}

int32_t rt_pick(struct rt *t, const int32_t *values, size_t count)
{
    return values[rt_below(t, (uint32_t)count)];
}

static void remember(struct rt *t, uint64_t id, uint32_t type, uint64_t guest)
{
    if (t->handle_count == t->handle_capacity) {
        t->handle_capacity = t->handle_capacity ? t->handle_capacity * 2 : 256;
        t->handles = realloc(t->handles, t->handle_capacity * sizeof(*t->handles));
        if (!t->handles) {
            fprintf(stderr, "Bail out! out of memory\n");
            exit(1);
        }
    }
    t->handles[t->handle_count++] = (struct rt_handle){id, type, guest};
}

static uint64_t make_guest_value(uint64_t id, bool dispatchable)
{
    if (!dispatchable)
        return id;
    struct vkw_dispatchable *o = calloc(1, sizeof(*o));
    if (!o) {
        fprintf(stderr, "Bail out! out of memory\n");
        exit(1);
    }
    o->id = id;
    return (uint64_t)(uintptr_t)o;
}

uint64_t rt_handle(struct rt *t, uint32_t type, bool dispatchable)
{
    const uint64_t id = t->next_id++;
    const uint64_t guest = make_guest_value(id, dispatchable);
    /* The host value is the guest value, so decoded structs compare equal. */
    if (vkw_object_table_insert(&t->objects, id, type, guest, 0) != VKW_OK) {
        fprintf(stderr, "Bail out! object table insert failed\n");
        exit(1);
    }
    remember(t, id, type, guest);
    return guest;
}

uint64_t rt_child_handle(struct rt *t, uint32_t type, uint64_t parent)
{
    const uint64_t id = t->next_id++;
    if (vkw_object_table_insert(&t->objects, id, type, id, parent) != VKW_OK) {
        fprintf(stderr, "Bail out! object table insert failed\n");
        exit(1);
    }
    remember(t, id, type, id);
    return id;
}

uint64_t rt_new_handle(struct rt *t, bool dispatchable)
{
    const uint64_t id = t->next_id++;
    const uint64_t guest = make_guest_value(id, dispatchable);
    remember(t, id, 0, guest);
    return guest;
}

uint64_t rt_id_of(uint64_t guest, bool dispatchable)
{
    return dispatchable ? vkw_guest_id_of((const void *)(uintptr_t)guest) : guest;
}

/* The guest runtime's half of the contract, answered from the registry. */
uint64_t vkw_guest_handle_from_id(struct vkw_reader *r, uint32_t type, uint64_t id)
{
    if (id == 0)
        return 0;
    for (size_t i = 0; the_rt && i < the_rt->handle_count; i++)
        if (the_rt->handles[i].id == id && the_rt->handles[i].type == type)
            return the_rt->handles[i].guest;
    vkw_reader_fail(r, VKW_ERROR_BAD_HANDLE, id);
    return 0;
}

/* Lengths that are properties of the device: one value both ends of the
 * test agree on, not a multiple of 4 so that the byte run's padding shows. */
uint64_t rt_device_length(uint32_t what)
{
    return what == VKW_LENGTH_CAPTURE_DESCRIPTOR_DATA     ? 13
           : what == VKW_LENGTH_SHADER_GROUP_CAPTURE_REPLAY ? 7
                                                            : UINT64_MAX;
}

uint64_t vkw_guest_device_length(const void *device, uint32_t opcode, uint32_t what)
{
    (void)device, (void)opcode;
    return rt_device_length(what);
}

uint64_t rt_decoder_length(void *owner, const struct vkw_host_decoder *d, uint32_t what)
{
    (void)owner, (void)d;
    return rt_device_length(what);
}

void rt_mismatch(struct rt *t, const char *what)
{
    if (!t->mismatch)
        t->mismatch = what;
}

void rt_ok(struct rt *t, bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s %d - ", ok ? "ok" : "not ok", ++t->tap_number);
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout); /* what passed stays visible if the next case crashes */
    va_end(ap);
    t->cases++;
    if (!ok)
        t->failures++;
}

int rt_done(struct rt *t)
{
    printf("1..%d\n", t->tap_number);
    return t->failures ? 1 : 0;
}
