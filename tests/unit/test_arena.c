/* test_arena — runtime/common/vkw_arena.c.
 *
 * Owns: alignment, zeroing, uniqueness of size-0 allocations, the limit and
 * its rounding, big allocations in their own chunk, reuse across resets,
 * and (under LeakSanitizer) that fini frees everything.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vkw_arena.h"

static bool aligned16(const void *p) { return ((uintptr_t)p & 15) == 0; }

static bool all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static void test_basics(void)
{
    struct vkw_arena a;
    vkw_arena_init(&a, SIZE_MAX);
    ok(a.chunks == NULL && a.used == 0, "init allocates nothing");
    void *z1 = vkw_arena_alloc(&a, 0);
    void *z2 = vkw_arena_alloc(&a, 0);
    ok(z1 && z2 && z1 != z2, "alloc(0) gives distinct non-NULL pointers");
    ok(aligned16(z1) && aligned16(z2), "... 16-aligned");
    unsigned char *one = vkw_arena_alloc(&a, 1);
    ok(one && aligned16(one) && one[0] == 0, "alloc(1) is aligned and zeroed");
    is_int(a.used, 48, "used counts sizes rounded up to 16, size 0 as 16");
    ok(vkw_arena_alloc(&a, SIZE_MAX) == NULL, "alloc(SIZE_MAX) is NULL");
    ok(vkw_arena_alloc(&a, SIZE_MAX - 8) == NULL, "alloc(SIZE_MAX - 8) is NULL");
    is_int(a.used, 48, "failed allocations count nothing");
    vkw_arena_fini(&a);
    ok(a.chunks == NULL && a.used == 0, "fini empties the arena");
    vkw_arena_fini(&a);
    ok(1, "fini twice is harmless");
}

/* Many allocations of assorted sizes: each aligned, zeroed, and not
 * overlapping any other (each is filled with its own byte, then checked). */
static void test_many(void)
{
    enum { N = 5000 };
    struct vkw_arena a;
    vkw_arena_init(&a, SIZE_MAX);
    static unsigned char *ptrs[N];
    static size_t sizes[N];
    bool aligned = true, zeroed = true, intact = true;
    uint32_t seed = 12345;
    for (int i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        /* Mostly small, some over the dedicated-chunk threshold. */
        sizes[i] = (seed >> 8) % 97 == 0 ? 300000 + (seed >> 16) % 1000 : (seed >> 16) % 200;
        ptrs[i] = vkw_arena_alloc(&a, sizes[i]);
        if (!ptrs[i])
            BAIL_OUT("allocation %d of %zu bytes failed", i, sizes[i]);
        aligned &= aligned16(ptrs[i]);
        zeroed &= all_zero(ptrs[i], sizes[i]);
        memset(ptrs[i], (unsigned char)(i | 1), sizes[i]);
    }
    for (int i = 0; i < N && intact; i++) {
        for (size_t j = 0; j < sizes[i]; j++) {
            if (ptrs[i][j] != (unsigned char)(i | 1)) {
                diag("allocation %d overwritten at byte %zu", i, j);
                intact = false;
                break;
            }
        }
    }
    ok(aligned, "%d mixed allocations are 16-aligned", N);
    ok(zeroed, "... zeroed");
    ok(intact, "... and disjoint");

    /* After reset the reused memory must come back zeroed again. */
    vkw_arena_reset(&a);
    ok(a.used == 0 && a.chunks != NULL, "reset keeps a chunk and zeroes used");
    zeroed = true;
    for (int i = 0; i < 200; i++) {
        unsigned char *p = vkw_arena_alloc(&a, 100);
        zeroed &= p && all_zero(p, 100);
    }
    ok(zeroed, "memory reused after reset is zeroed");
    vkw_arena_fini(&a);
}

static void test_limit(void)
{
    struct vkw_arena a;
    vkw_arena_init(&a, 48);
    ok(vkw_arena_alloc(&a, 1) && vkw_arena_alloc(&a, 16) && vkw_arena_alloc(&a, 0),
       "three 16-byte units fit a limit of 48");
    ok(vkw_arena_alloc(&a, 0) == NULL, "a fourth, even size 0, does not");
    ok(vkw_arena_alloc(&a, 1) == NULL, "nor size 1");
    vkw_arena_reset(&a);
    ok(vkw_arena_alloc(&a, 48) != NULL, "after reset the whole limit is available");
    ok(vkw_arena_alloc(&a, 1) == NULL, "... and then exhausted");
    vkw_arena_fini(&a);

    vkw_arena_init(&a, 0);
    ok(vkw_arena_alloc(&a, 0) == NULL, "limit 0 allows nothing");
    vkw_arena_fini(&a);

    vkw_arena_init(&a, 1000);
    ok(vkw_arena_alloc(&a, 1001) == NULL, "one allocation over the limit is NULL");
    ok(vkw_arena_alloc(&a, 992) != NULL, "the largest fitting one (992 = 1000 rounded down)");
    vkw_arena_fini(&a);

    /* A hostile size is refused before anything is malloc'd. */
    vkw_arena_init(&a, 64u * 1024u * 1024u);
    ok(vkw_arena_alloc(&a, (size_t)1 << 40) == NULL && a.chunks == NULL,
       "2^40 bytes against a 64 MiB limit: NULL, nothing allocated");
    vkw_arena_fini(&a);
}

static void test_large(void)
{
    struct vkw_arena a;
    vkw_arena_init(&a, SIZE_MAX);
    unsigned char *s1 = vkw_arena_alloc(&a, 16);
    unsigned char *big = vkw_arena_alloc(&a, 8u * 1024u * 1024u);
    unsigned char *s2 = vkw_arena_alloc(&a, 16);
    ok(big && aligned16(big) && all_zero(big, 8u * 1024u * 1024u),
       "an 8 MiB allocation is aligned and zeroed");
    ok(s1 && s2 && s2 == s1 + 16, "a big allocation does not disturb the chunk being filled");
    memset(big, 0xab, 8u * 1024u * 1024u);
    vkw_arena_reset(&a);
    unsigned char *again = vkw_arena_alloc(&a, 16);
    ok(again == s1, "after reset the ordinary chunk is reused from its start");
    unsigned char *big2 = vkw_arena_alloc(&a, 8u * 1024u * 1024u);
    ok(big2 && all_zero(big2, 8u * 1024u * 1024u), "a big allocation after reset is zeroed");

    /* A big allocation first, into an empty arena. */
    vkw_arena_fini(&a);
    vkw_arena_init(&a, SIZE_MAX);
    big = vkw_arena_alloc(&a, 2u * 1024u * 1024u);
    s1 = vkw_arena_alloc(&a, 16);
    s2 = vkw_arena_alloc(&a, 16);
    ok(big && s1 && s2 == s1 + 16, "big first, then small ones bump in a chunk of their own");
    vkw_arena_fini(&a);
}

/* After a warm-up, a repeated workload reuses the kept chunk: the same
 * addresses come back, which means no malloc on the hot path. */
static void test_steady_state(void)
{
    struct vkw_arena a;
    vkw_arena_init(&a, SIZE_MAX);
    unsigned char *first[4] = {0}, *last[4] = {0};
    for (int cycle = 0; cycle < 4; cycle++) {
        for (int i = 0; i < 300; i++) {
            unsigned char *p = vkw_arena_alloc(&a, 100);
            if (i == 0)
                first[cycle] = p;
            last[cycle] = p;
        }
        vkw_arena_reset(&a);
    }
    ok(first[2] == first[3] && last[2] == last[3],
       "a repeated 33 KiB workload reuses the same memory after warm-up");
    ok(last[3] == first[3] + 299 * 112, "... contiguously, in one chunk");
    vkw_arena_fini(&a);
}

int main(void)
{
    test_basics();
    test_many();
    test_limit();
    test_large();
    test_steady_state();
    return done_testing();
}
