/* vkw_arena — bump allocation for decoded arguments.
 *
 * Owns: the chunk list behind vkw_arena.h.  Ordinary allocations bump a
 * pointer in the head chunk; chunks grow geometrically up to a cap, and
 * allocations too big for that share get a chunk of their own, so a single
 * large array never forces the next ordinary chunk to be huge.
 */
#include "vkw_arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define VKW_ARENA_ALIGN 16u
/* Sizes of ordinary chunks: the first, and the cap on doubling.  Decoding
 * a typical command fits in the first chunk; the cap keeps what a reset
 * retains modest. */
#define VKW_ARENA_CHUNK_MIN (4u * 1024u)
#define VKW_ARENA_CHUNK_MAX (1024u * 1024u)
/* Above this an allocation gets a dedicated chunk. */
#define VKW_ARENA_BIG (VKW_ARENA_CHUNK_MAX / 4u)

struct vkw_arena_chunk {
    struct vkw_arena_chunk *next;
    unsigned char *base; /* first usable byte, 16-aligned */
    size_t capacity;     /* usable bytes from base */
    size_t used;         /* bytes handed out from base */
};

void vkw_arena_init(struct vkw_arena *a, size_t limit)
{
    a->chunks = NULL;
    a->used = 0;
    a->limit = limit;
}

void vkw_arena_fini(struct vkw_arena *a)
{
    struct vkw_arena_chunk *c = a->chunks;
    while (c) {
        struct vkw_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->chunks = NULL;
    a->used = 0;
}

void vkw_arena_reset(struct vkw_arena *a)
{
    /* Keep the largest chunk up to the ordinary cap: after a warm-up,
     * decoding a message mallocs nothing.  Bigger ones go back to malloc so
     * one huge message does not pin its memory for the life of the context. */
    struct vkw_arena_chunk *keep = NULL;
    for (struct vkw_arena_chunk *c = a->chunks; c; c = c->next) {
        if (c->capacity <= VKW_ARENA_CHUNK_MAX &&
            (!keep || c->capacity > keep->capacity))
            keep = c;
    }
    struct vkw_arena_chunk *c = a->chunks;
    while (c) {
        struct vkw_arena_chunk *next = c->next;
        if (c != keep)
            free(c);
        c = next;
    }
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
    }
    a->chunks = keep;
    a->used = 0;
}

/* A chunk with `capacity` usable bytes; malloc's own alignment is not
 * assumed to be 16, so the header is followed by slack for aligning. */
static struct vkw_arena_chunk *chunk_new(size_t capacity)
{
    size_t overhead = sizeof(struct vkw_arena_chunk) + VKW_ARENA_ALIGN - 1;
    if (capacity > SIZE_MAX - overhead)
        return NULL;
    struct vkw_arena_chunk *c = malloc(overhead + capacity);
    if (!c)
        return NULL;
    uintptr_t start = (uintptr_t)(c + 1);
    uintptr_t aligned = (start + VKW_ARENA_ALIGN - 1) & ~(uintptr_t)(VKW_ARENA_ALIGN - 1);
    c->base = (unsigned char *)(c + 1) + (aligned - start);
    c->capacity = capacity;
    c->used = 0;
    c->next = NULL;
    return c;
}

void *vkw_arena_alloc(struct vkw_arena *a, size_t size)
{
    /* Size 0 still takes one aligned unit so every pointer is unique. */
    size_t n = size ? size : 1;
    if (n > SIZE_MAX - (VKW_ARENA_ALIGN - 1))
        return NULL;
    n = (n + VKW_ARENA_ALIGN - 1) & ~(size_t)(VKW_ARENA_ALIGN - 1);
    if (a->used > a->limit || n > a->limit - a->used)
        return NULL;

    struct vkw_arena_chunk *head = a->chunks;
    unsigned char *p;
    if (head && n <= head->capacity - head->used) {
        p = head->base + head->used;
        head->used += n;
    } else if (n > VKW_ARENA_BIG) {
        struct vkw_arena_chunk *c = chunk_new(n);
        if (!c)
            return NULL;
        c->used = n;
        /* Behind the head, which stays the chunk being filled. */
        if (head) {
            c->next = head->next;
            head->next = c;
        } else {
            a->chunks = c;
        }
        p = c->base;
    } else {
        /* Twice the previous chunk (and twice n), within [MIN, MAX]; since
         * n <= VKW_ARENA_BIG <= MAX / 2 the result always fits n. */
        size_t want = head && head->capacity > n ? head->capacity : n;
        size_t cap = VKW_ARENA_CHUNK_MIN;
        while (cap < VKW_ARENA_CHUNK_MAX && cap / 2 < want)
            cap *= 2;
        struct vkw_arena_chunk *c = chunk_new(cap);
        if (!c)
            return NULL;
        c->used = n;
        c->next = head;
        a->chunks = c;
        p = c->base;
    }
    a->used += n;
    memset(p, 0, n);
    return p;
}
