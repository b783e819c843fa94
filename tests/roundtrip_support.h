/* roundtrip_support — what the generated round-trip test stands on.
 *
 * Owns: the seeded PRNG that makes every run reproducible, the test's own
 * memory for filled values, the registry of handles it invented (each one
 * known to the host's object table, so decoding maps ids back to the same
 * values), and TAP bookkeeping for field-by-field comparisons.
 */
#ifndef VKW_ROUNDTRIP_SUPPORT_H
#define VKW_ROUNDTRIP_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

#include "vkw_arena.h"
#include "vkw_host_decoder.h"
#include "vkw_object_table.h"
#include "vkw_wire.h"

struct rt_handle {
    uint64_t id;
    uint32_t type;
    uint64_t guest; /* the value the guest's API sees */
};

struct rt {
    uint64_t rng;
    struct vkw_arena fill;       /* filled values, reset per case */
    struct vkw_arena decode;     /* the host decoder's arena */
    struct vkw_object_table objects;
    struct rt_handle *handles;
    size_t handle_count, handle_capacity;
    uint64_t next_id;
    const char *mismatch;        /* first field that differed in this case */
    unsigned long cases, failures;
    int tap_number;
    int fds[4];                  /* open descriptors that fd members may name */
    struct vkw_fd_set fd_set;    /* what a decoder of the current case takes from */
};

void rt_init(struct rt *t, uint64_t seed);
void rt_fini(struct rt *t);
/* Forget the values of one case (handles stay registered). */
void rt_reset_case(struct rt *t);

uint32_t rt_u32(struct rt *t);
uint64_t rt_u64(struct rt *t);
bool rt_coin(struct rt *t);
uint32_t rt_below(struct rt *t, uint32_t n);
float rt_f32(struct rt *t);
double rt_f64(struct rt *t);
/* A small array length: 0..6. */
uint32_t rt_count(struct rt *t);
void *rt_alloc(struct rt *t, size_t count, size_t size);
void rt_bytes(struct rt *t, void *dst, size_t n);
char *rt_string(struct rt *t);
void rt_fixed_string(struct rt *t, char *dst, size_t capacity);
int32_t rt_pick(struct rt *t, const int32_t *values, size_t count);

/* A file descriptor as an application passes one: -1 or one of the test's
 * open ones. */
int rt_fd(struct rt *t);
/* Let `r` take the fds `w` wrote, as a receiver of its message would. */
void rt_fds_beside(struct rt *t, struct vkw_reader *r, const struct vkw_writer *w);

/* An existing object of `type`: registered on the host side under a fresh
 * id.  Returns the guest's handle value (a vkw_dispatchable for
 * dispatchable types). */
uint64_t rt_handle(struct rt *t, uint32_t type, bool dispatchable);
/* The same for a non-dispatchable object made from the non-dispatchable
 * object `parent` (a guest handle value; 0: none), as vk.xml's parent= has
 * it (a video session parameters object and its session). */
uint64_t rt_child_handle(struct rt *t, uint32_t type, uint64_t parent);
/* A guest-chosen id for an object about to be created (not registered). */
uint64_t rt_new_handle(struct rt *t, bool dispatchable);
/* The id a guest handle value stands for. */
uint64_t rt_id_of(uint64_t guest, bool dispatchable);

/* Lengths that are properties of the device (VKW_DEVICE_LENGTH): the
 * test's guest (vkw_guest_device_length) and host decoders
 * (rt_decoder_length, their `length`) both answer this. */
uint64_t rt_device_length(uint32_t what);
uint64_t rt_decoder_length(void *owner, const struct vkw_host_decoder *d, uint32_t what);

/* Record a difference (the first one names the case's failure). */
void rt_mismatch(struct rt *t, const char *what);

/* TAP: one line per case. */
void rt_ok(struct rt *t, bool ok, const char *fmt, ...);
int rt_done(struct rt *t);

#endif /* VKW_ROUNDTRIP_SUPPORT_H */
