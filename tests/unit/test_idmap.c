/* test_idmap — runtime/common/vkw_idmap.c.
 *
 * Owns: put/find/remove semantics (records zeroed when new, kept when put
 * again, id 0 refused), an empty map holding no memory, foreach, and long
 * put/remove churn with colliding ids checked against a plain reference
 * array (records must move with their ids through growth and backward-shift
 * deletion). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vkw_idmap.h"

struct rec {
    uint64_t a, b;
    uint8_t c;
};

static void count_visit(uint64_t id, void *record, void *user)
{
    const struct rec *r = record;
    uint64_t *sum = user;
    sum[0]++;
    sum[1] += r->a == id * 3 ? 1 : 0;
}

static void test_basics(void)
{
    struct vkw_idmap m;
    vkw_idmap_init(&m, sizeof(struct rec));
    ok(vkw_idmap_find(&m, 5) == NULL, "empty: find is NULL");
    ok(!vkw_idmap_remove(&m, 5), "empty: remove is false");
    ok(vkw_idmap_put(&m, 0) == NULL, "id 0 is never a key");
    struct rec *r = vkw_idmap_put(&m, 5);
    ok(r && r->a == 0 && r->b == 0 && r->c == 0, "a new record is zeroed");
    r->a = 15;
    r->c = 9;
    struct rec *again = vkw_idmap_put(&m, 5);
    ok(again && again->a == 15 && again->c == 9, "put again gives the same record, kept");
    is_int(m.count, 1, "one record");
    ok(vkw_idmap_remove(&m, 5) && vkw_idmap_find(&m, 5) == NULL, "removed");
    ok(m.slots == NULL && m.capacity == 0, "an empty map holds no memory");
    is_int(m.record_size, sizeof(struct rec), "and still knows its record size");

    struct vkw_idmap set;
    vkw_idmap_init(&set, 0);
    ok(vkw_idmap_put(&set, 77) != NULL && vkw_idmap_find(&set, 77) != NULL &&
           vkw_idmap_find(&set, 78) == NULL,
       "record size 0: a set of ids");
    vkw_idmap_clear(&set);
    ok(vkw_idmap_find(&set, 77) == NULL, "clear empties it");
}

/* Ids that share their low bits and their home slots, put and removed at
 * random, against a reference; every record must stay with its id. */
static void test_churn(void)
{
    enum { IDS = 3000, STEPS = 200000 };
    static bool present[IDS];
    struct vkw_idmap m;
    vkw_idmap_init(&m, sizeof(struct rec));
    uint64_t rng = 0x243f6a8885a308d3ull;
    bool good = true;
    size_t live = 0;
    for (int step = 0; step < STEPS && good; step++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        const uint32_t i = (uint32_t)(rng % IDS);
        const uint64_t id = ((uint64_t)(i + 1) << 40) | 0x1000; /* same low bits */
        if (present[i] && (rng >> 32) % 3 == 0) {
            good = vkw_idmap_remove(&m, id);
            present[i] = false;
            live--;
        } else if (!present[i]) {
            struct rec *r = vkw_idmap_put(&m, id);
            good = r && r->a == 0;
            if (r) {
                r->a = id * 3;
                r->b = ~id;
            }
            present[i] = true;
            live++;
        } else {
            const struct rec *r = vkw_idmap_find(&m, id);
            good = r && r->a == id * 3 && r->b == ~id;
        }
        good = good && m.count == live && (m.count == 0 || m.count * 2 <= m.capacity);
    }
    ok(good, "200000 steps of put/find/remove agree with the reference");
    uint64_t sum[2] = {0, 0};
    vkw_idmap_foreach(&m, count_visit, sum);
    ok(sum[0] == live && sum[1] == live, "foreach visits each live record once, intact");
    for (uint32_t i = 0; i < IDS; i++) {
        const uint64_t id = ((uint64_t)(i + 1) << 40) | 0x1000;
        if ((vkw_idmap_find(&m, id) != NULL) != present[i]) {
            good = false;
            break;
        }
    }
    ok(good, "membership of every id matches at the end");
    vkw_idmap_clear(&m);
}

int main(void)
{
    test_basics();
    test_churn();
    return done_testing();
}
