/* test_object_table — runtime/host/vkw_object_table.c.
 *
 * Owns: insert/find/lookup/remove semantics and their error codes, the
 * object limit, the reverse map (including which id wins when several share
 * a host handle), foreach, growth to 100k objects, and robustness against
 * hostile ids: colliding low bits and long insert/remove churn, checked
 * against a plain reference array and the table's own invariants.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vkw_object_table.h"

struct visit {
    size_t count;
    uint64_t id_sum;
    bool all_live;
};

static void visit_fn(const struct vkw_object *o, void *user)
{
    struct visit *v = user;
    v->count++;
    v->id_sum += o->id;
    v->all_live &= o->id != 0;
}

static struct visit visit_all(const struct vkw_object_table *t)
{
    struct visit v = {0, 0, true};
    vkw_object_table_foreach(t, visit_fn, &v);
    return v;
}

/* The table's structure, from its public fields: live slots match count,
 * the load bound holds, and every live slot has exactly one reverse entry. */
static bool invariants_hold(const struct vkw_object_table *t)
{
    size_t live = 0, failed = 0;
    if (t->capacity & (t->capacity - 1))
        return diag("capacity %zu is not a power of two", t->capacity), false;
    for (size_t i = 0; i < t->capacity; i++) {
        live += t->slots[i].id != 0;
        failed += t->slots[i].id != 0 &&
                  (t->slots[i].flags & (VKW_OBJECT_FAILED | VKW_OBJECT_GONE));
    }
    if (live != t->count)
        return diag("%zu live slots, count %zu", live, t->count), false;
    if ((t->count + t->tombstones) * 10 > t->capacity * 7)
        return diag("load %zu+%zu over 70%% of %zu", t->count, t->tombstones, t->capacity),
               false;
    if (t->reverse_capacity == 0)
        return t->count == 0;
    unsigned char *seen = calloc(t->capacity, 1);
    if (!seen)
        BAIL_OUT("out of memory");
    size_t entries = 0;
    bool good = true;
    for (size_t j = 0; j < t->reverse_capacity; j++) {
        uint32_t e = t->reverse[j];
        if (e == 0)
            continue;
        entries++;
        if (e > t->capacity || t->slots[e - 1].id == 0 || seen[e - 1]++)
            good = false;
    }
    free(seen);
    if (!good || entries != t->count - failed) /* failed and gone objects have no entry */
        return diag("reverse map has %zu entries for %zu objects", entries, t->count), false;
    return true;
}

static void test_basics(void)
{
    struct vkw_object_table t;
    vkw_object_table_init(&t, SIZE_MAX);
    uint64_t host = 0xdead;
    ok(vkw_object_table_find(&t, 1) == NULL, "empty table: find is NULL");
    ok(!vkw_object_table_lookup(&t, 1, 1, &host) && host == 0xdead,
       "empty table: lookup fails, host untouched");
    is_u64(vkw_object_table_id_of(&t, 1, 0x1000), 0, "empty table: id_of is 0");
    ok(!vkw_object_table_remove(&t, 1, 1), "empty table: remove fails");
    is_int(visit_all(&t).count, 0, "empty table: foreach visits nothing");

    is_int(vkw_object_table_insert(&t, 0, 1, 0x1000, 0), VKW_ERROR_BAD_HANDLE,
           "id 0 is BAD_HANDLE");
    is_int(vkw_object_table_insert(&t, 7, 3, 0x7000, 5), VKW_OK, "insert id 7");
    is_int(vkw_object_table_insert(&t, 7, 3, 0x7000, 5), VKW_ERROR_ID_IN_USE,
           "insert id 7 again is ID_IN_USE");
    is_int(vkw_object_table_insert(&t, 7, 4, 0x9999, 0), VKW_ERROR_ID_IN_USE,
           "... also with another type and host");
    is_int(t.count, 1, "one object");

    const struct vkw_object *o = vkw_object_table_find(&t, 7);
    ok(o && o->id == 7 && o->type == 3 && o->host == 0x7000 && o->parent_id == 5 &&
           o->flags == 0,
       "find returns every field as inserted");
    ok(vkw_object_table_find(&t, 8) == NULL && vkw_object_table_find(&t, 0) == NULL,
       "find of an unknown id or 0 is NULL");
    ok(vkw_object_table_lookup(&t, 7, 3, &host) && host == 0x7000, "lookup with its type");
    host = 0xdead;
    ok(!vkw_object_table_lookup(&t, 7, 4, &host) && host == 0xdead,
       "lookup with another type fails");
    is_u64(vkw_object_table_id_of(&t, 3, 0x7000), 7, "id_of finds it");
    is_u64(vkw_object_table_id_of(&t, 4, 0x7000), 0, "id_of with another type is 0");

    ok(!vkw_object_table_remove(&t, 7, 4), "remove with the wrong type fails");
    ok(vkw_object_table_find(&t, 7) != NULL, "... and leaves it");
    ok(vkw_object_table_remove(&t, 7, 3), "remove with its type");
    ok(vkw_object_table_find(&t, 7) == NULL && t.count == 0, "... it is gone");
    is_u64(vkw_object_table_id_of(&t, 3, 0x7000), 0, "... from the reverse map too");
    ok(!vkw_object_table_remove(&t, 7, 3), "removing twice fails");
    is_int(vkw_object_table_insert(&t, 7, 9, 0x9000, 0), VKW_OK,
           "the id can be reused with another type");
    ok(vkw_object_table_lookup(&t, 7, 9, &host) && host == 0x9000, "... and finds the new one");
    ok(invariants_hold(&t), "invariants hold");
    vkw_object_table_fini(&t);
    ok(t.slots == NULL && t.count == 0 && vkw_object_table_find(&t, 7) == NULL,
       "fini empties the table");
}

static void test_limit(void)
{
    struct vkw_object_table t;
    vkw_object_table_init(&t, 3);
    bool good = true;
    for (uint64_t id = 1; id <= 3; id++)
        good &= vkw_object_table_insert(&t, id, 1, id, 0) == VKW_OK;
    ok(good, "three objects fit max_objects 3");
    is_int(vkw_object_table_insert(&t, 4, 1, 4, 0), VKW_ERROR_NO_MEMORY,
           "a fourth is NO_MEMORY");
    is_int(vkw_object_table_insert(&t, 2, 1, 4, 0), VKW_ERROR_ID_IN_USE,
           "a taken id at the limit is still ID_IN_USE");
    vkw_object_table_remove(&t, 2, 1);
    is_int(vkw_object_table_insert(&t, 4, 1, 4, 0), VKW_OK, "after a remove there is room");
    vkw_object_table_fini(&t);

    vkw_object_table_init(&t, 0);
    is_int(vkw_object_table_insert(&t, 1, 1, 1, 0), VKW_ERROR_NO_MEMORY,
           "max_objects 0 allows none");
    vkw_object_table_fini(&t);
}

static void test_reverse(void)
{
    struct vkw_object_table t;
    vkw_object_table_init(&t, SIZE_MAX);
    vkw_object_table_insert(&t, 10, 1, 0x1000, 0);
    vkw_object_table_insert(&t, 11, 2, 0x1000, 0);
    is_u64(vkw_object_table_id_of(&t, 1, 0x1000), 10, "id_of tells types apart (1)");
    is_u64(vkw_object_table_id_of(&t, 2, 0x1000), 11, "id_of tells types apart (2)");
    is_u64(vkw_object_table_id_of(&t, 3, 0x1000), 0, "id_of of an absent type is 0");

    /* Several ids for one (type, host): the earliest inserted live one. */
    vkw_object_table_insert(&t, 22, 5, 0x5000, 0);
    vkw_object_table_insert(&t, 20, 5, 0x5000, 0);
    vkw_object_table_insert(&t, 21, 5, 0x5000, 0);
    is_u64(vkw_object_table_id_of(&t, 5, 0x5000), 22, "shared host: the first inserted");
    vkw_object_table_remove(&t, 22, 5);
    is_u64(vkw_object_table_id_of(&t, 5, 0x5000), 20, "... after removing it, the next");
    vkw_object_table_remove(&t, 21, 5);
    vkw_object_table_insert(&t, 23, 5, 0x5000, 0);
    is_u64(vkw_object_table_id_of(&t, 5, 0x5000), 20, "... a later insert does not win");
    /* Growth rehashes both maps; the order must survive. */
    for (uint64_t id = 1000; id < 21000; id++)
        vkw_object_table_insert(&t, id, 6, id * 16, 0);
    is_u64(vkw_object_table_id_of(&t, 5, 0x5000), 20, "... nor does growth change it");
    vkw_object_table_remove(&t, 20, 5);
    is_u64(vkw_object_table_id_of(&t, 5, 0x5000), 23, "... and then the last one is left");

    bool good = true;
    for (uint64_t id = 1000; id < 21000; id++)
        good &= vkw_object_table_id_of(&t, 6, id * 16) == id;
    ok(good, "id_of finds each of 20000 objects");
    ok(invariants_hold(&t), "invariants hold");
    vkw_object_table_fini(&t);
}

/* Many (type, host) keys each shared by three ids, inserted in passes so
 * that rehashes land between them: chains that wrap around the end of the
 * reverse array must keep their order too. */
static void test_reverse_order_many(void)
{
    enum { GROUPS = 4000 };
    struct vkw_object_table t;
    vkw_object_table_init(&t, SIZE_MAX);
    bool good = true;
    for (uint64_t member = 0; member < 3; member++) {
        for (uint64_t g = 0; g < GROUPS; g++)
            good &= vkw_object_table_insert(&t, member * GROUPS + g + 1, 4, g * 64, 0) == VKW_OK;
    }
    for (uint64_t g = 0; g < GROUPS; g++)
        good &= vkw_object_table_id_of(&t, 4, g * 64) == g + 1;
    ok(good, "%d shared keys: id_of gives each one's first id", GROUPS);
    for (uint64_t g = 0; g < GROUPS; g += 2)
        vkw_object_table_remove(&t, g + 1, 4);
    for (uint64_t id = 1; id <= 4 * GROUPS; id++) /* more growth */
        vkw_object_table_insert(&t, id << 32, 5, id, 0);
    good = true;
    for (uint64_t g = 0; g < GROUPS; g++)
        good &= vkw_object_table_id_of(&t, 4, g * 64) == (g % 2 ? g + 1 : GROUPS + g + 1);
    ok(good, "... and the first still alive after removals and growth");
    ok(invariants_hold(&t), "invariants hold");
    vkw_object_table_fini(&t);
}

/* An id whose asynchronous creation failed: it holds its id and a place
 * under the limit, find sees it, lookup and id_of do not, remove frees it. */
static void test_failed(void)
{
    struct vkw_object_table t;
    vkw_object_table_init(&t, 3);
    uint64_t host = 0xdead;
    ok(vkw_object_table_insert(&t, 1, 2, 0x100, 0) == VKW_OK &&
           vkw_object_table_insert_failed(&t, 7, 2, 1) == VKW_OK,
       "failed: inserted beside a live object");
    const struct vkw_object *o = vkw_object_table_find(&t, 7);
    ok(o && o->type == 2 && o->host == 0 && o->parent_id == 1 && (o->flags & VKW_OBJECT_FAILED),
       "failed: find sees it, host 0, parent kept, flagged");
    ok(!vkw_object_table_lookup(&t, 7, 2, &host) && host == 0xdead,
       "failed: lookup refuses it");
    ok(vkw_object_table_id_of(&t, 2, 0) == 0, "failed: id_of does not answer host 0 with it");
    ok(vkw_object_table_insert(&t, 7, 2, 0x200, 0) == VKW_ERROR_ID_IN_USE &&
           vkw_object_table_insert_failed(&t, 7, 2, 0) == VKW_ERROR_ID_IN_USE,
       "failed: its id is in use");
    ok(vkw_object_table_insert_failed(&t, 8, 2, 0) == VKW_OK &&
           vkw_object_table_insert_failed(&t, 9, 2, 0) == VKW_ERROR_NO_MEMORY,
       "failed: counts against the limit");
    ok(invariants_hold(&t), "failed: invariants hold");
    ok(vkw_object_table_remove(&t, 7, 2) && !vkw_object_table_find(&t, 7) &&
           vkw_object_table_remove(&t, 8, 2) && t.count == 1,
       "failed: remove frees the ids");
    ok(vkw_object_table_insert(&t, 7, 2, 0x300, 0) == VKW_OK &&
           vkw_object_table_lookup(&t, 7, 2, &host) && host == 0x300,
       "failed: the id can name a real object again");
    ok(invariants_hold(&t), "failed: invariants hold after removal");
    vkw_object_table_fini(&t);
}

/* vkw_object_table_mark: kept objects keep their handle, gone ones lose
 * it (and their reverse entry); lookups refuse both, find sees both. */
static void test_marks(void)
{
    struct vkw_object_table t;
    vkw_object_table_init(&t, SIZE_MAX);
    uint64_t host = 0;
    ok(vkw_object_table_insert(&t, 1, 2, 0x100, 0) == VKW_OK &&
           vkw_object_table_insert(&t, 2, 2, 0x200, 0) == VKW_OK &&
           vkw_object_table_insert_failed(&t, 3, 2, 0) == VKW_OK,
       "marks: three objects, one failed");
    ok(vkw_object_table_mark(&t, 1, VKW_OBJECT_KEPT, 0, 5), "marks: one kept");
    const struct vkw_object *o = vkw_object_table_find(&t, 1);
    ok(o && (o->flags & VKW_OBJECT_KEPT) && o->note == 5 && o->host == 0x100 &&
           !vkw_object_table_lookup(&t, 1, 2, &host) && vkw_object_table_id_of(&t, 2, 0x100) == 1,
       "marks: kept: found with its note and handle, refused by lookup, still answered by handle");
    const uint64_t removals = t.removals;
    ok(vkw_object_table_mark(&t, 2, VKW_OBJECT_GONE, 0, 6), "marks: one gone");
    o = vkw_object_table_find(&t, 2);
    ok(o && (o->flags & VKW_OBJECT_GONE) && o->note == 6 && o->host == 0 &&
           !vkw_object_table_lookup(&t, 2, 2, &host) && vkw_object_table_id_of(&t, 2, 0x200) == 0 &&
           t.removals == removals + 1,
       "marks: gone: host forgotten, out of the reverse map, removals bumped");
    ok(invariants_hold(&t), "marks: invariants hold");
    ok(vkw_object_table_insert(&t, 4, 2, 0x200, 0) == VKW_OK &&
           vkw_object_table_id_of(&t, 2, 0x200) == 4,
       "marks: the gone object's handle value names a new object");
    ok(vkw_object_table_mark(&t, 2, 0, VKW_OBJECT_GONE, 7) &&
           (vkw_object_table_find(&t, 2)->flags & VKW_OBJECT_GONE) &&
           vkw_object_table_mark(&t, 3, VKW_OBJECT_KEPT, VKW_OBJECT_FAILED, 0) &&
           (vkw_object_table_find(&t, 3)->flags & VKW_OBJECT_FAILED) &&
           !vkw_object_table_mark(&t, 99, VKW_OBJECT_KEPT, 0, 0),
       "marks: gone and failed are never cleared; an id that names nothing is refused");
    for (uint64_t id = 100; id < 1100; id++) /* rehash with every state present */
        vkw_object_table_insert(&t, id, 3, id << 4, 0);
    ok(invariants_hold(&t) && vkw_object_table_id_of(&t, 2, 0x200) == 4 &&
           vkw_object_table_id_of(&t, 2, 0x100) == 1,
       "marks: invariants and the reverse map hold across rehashes");
    ok(vkw_object_table_remove(&t, 2, 2) && vkw_object_table_remove(&t, 1, 2) &&
           invariants_hold(&t) && vkw_object_table_id_of(&t, 2, 0x100) == 0,
       "marks: gone and kept objects are removed like others");
    vkw_object_table_fini(&t);
}

static void test_growth(void)
{
    enum { N = 100000 };
    struct vkw_object_table t;
    vkw_object_table_init(&t, SIZE_MAX);
    bool good = true;
    /* Ids that share their low 32 bits: a hash that ignored high bits
     * would put them all in one chain. */
    for (uint64_t i = 1; i <= N; i++)
        good &= vkw_object_table_insert(&t, i << 32 | 0x1234, (uint32_t)(i % 7), i, 0) == VKW_OK;
    ok(good && t.count == N, "%d objects inserted", N);
    ok(t.capacity >= N && (t.capacity & (t.capacity - 1)) == 0,
       "capacity %zu is a power of two", t.capacity);
    good = true;
    for (uint64_t i = 1; i <= N; i++) {
        uint64_t host = 0;
        good &= vkw_object_table_lookup(&t, i << 32 | 0x1234, (uint32_t)(i % 7), &host) &&
                host == i;
        good &= vkw_object_table_id_of(&t, (uint32_t)(i % 7), i) == (i << 32 | 0x1234);
    }
    ok(good, "every object found by id and by host");
    struct visit v = visit_all(&t);
    ok(v.count == N && v.all_live, "foreach visits %zu live objects", v.count);
    ok(invariants_hold(&t), "invariants hold at %d objects", N);

    for (uint64_t i = 2; i <= N; i += 2)
        good &= vkw_object_table_remove(&t, i << 32 | 0x1234, (uint32_t)(i % 7));
    ok(good && t.count == N / 2, "half removed");
    good = true;
    for (uint64_t i = 1; i <= N; i++)
        good &= (vkw_object_table_find(&t, i << 32 | 0x1234) != NULL) == (i % 2 == 1);
    ok(good, "exactly the odd ones remain");
    v = visit_all(&t);
    uint64_t sum = 0;
    for (uint64_t i = 1; i <= N; i += 2)
        sum += i << 32 | 0x1234;
    ok(v.count == N / 2 && v.id_sum == sum, "foreach visits exactly the remaining ids");
    ok(invariants_hold(&t), "invariants hold after removals");
    vkw_object_table_fini(&t);

    /* More shapes a guest might pick: multiples of a large power of two,
     * the top of the range, and sequential ids. */
    vkw_object_table_init(&t, SIZE_MAX);
    good = true;
    for (uint64_t i = 1; i <= 20000; i++) {
        good &= vkw_object_table_insert(&t, i << 20, 1, i, 0) == VKW_OK;
        good &= vkw_object_table_insert(&t, UINT64_MAX - i + 1, 2, i, 0) == VKW_OK;
        good &= vkw_object_table_insert(&t, i, 3, i, 0) == VKW_OK;
    }
    for (uint64_t i = 1; i <= 20000; i++) {
        const struct vkw_object *a = vkw_object_table_find(&t, i << 20);
        const struct vkw_object *b = vkw_object_table_find(&t, UINT64_MAX - i + 1);
        const struct vkw_object *c = vkw_object_table_find(&t, i);
        good &= a && a->type == 1 && b && b->type == 2 && c && c->type == 3;
    }
    ok(good && t.count == 60000, "aligned, top-of-range and sequential ids coexist");
    ok(invariants_hold(&t), "invariants hold");
    vkw_object_table_fini(&t);
}

static void test_churn(void)
{
    struct vkw_object_table t;
    vkw_object_table_init(&t, SIZE_MAX);
    for (uint64_t id = 1; id <= 10; id++)
        vkw_object_table_insert(&t, id, 1, id * 100, 0);
    /* 1e5 insert+remove cycles with fresh ids: without tombstone cleanup
     * this fills the table with tombstones and lookups never end. */
    bool good = true;
    size_t max_capacity = 0;
    for (uint64_t i = 0; i < 100000; i++) {
        uint64_t id = 1000 + i * 7919;
        good &= vkw_object_table_insert(&t, id, 2, id, 1) == VKW_OK;
        good &= vkw_object_table_remove(&t, id, 2);
        if (t.capacity > max_capacity)
            max_capacity = t.capacity;
    }
    ok(good, "100000 insert+remove cycles succeed");
    ok(max_capacity <= 64, "the table did not grow for 10 live objects (capacity %zu)",
       max_capacity);
    good = t.count == 10;
    for (uint64_t id = 1; id <= 10; id++) {
        uint64_t host;
        good &= vkw_object_table_lookup(&t, id, 1, &host) && host == id * 100;
    }
    for (uint64_t i = 0; i < 100000; i += 97)
        good &= vkw_object_table_find(&t, 1000 + i * 7919) == NULL;
    ok(good, "lookups after churn: live objects found, removed ones absent");
    ok(invariants_hold(&t), "invariants hold after churn");
    vkw_object_table_fini(&t);

    /* Random churn around 2000 live objects, checked against a plain array:
     * removals in random order leave tombstones in the middle of chains. */
    enum { LIVE = 2000, STEPS = 100000 };
    static uint64_t ids[LIVE];
    vkw_object_table_init(&t, LIVE);
    uint64_t rng = 0x9e3779b97f4a7c15u, next_id = 1;
    good = true;
    for (int i = 0; i < LIVE; i++) {
        ids[i] = next_id++ * 0x10000;
        good &= vkw_object_table_insert(&t, ids[i], 1, ids[i] ^ 1, 0) == VKW_OK;
    }
    good &= vkw_object_table_insert(&t, UINT64_MAX, 1, 0, 0) == VKW_ERROR_NO_MEMORY;
    size_t most_tombstones = 0;
    for (int step = 0; step < STEPS; step++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        size_t k = (size_t)(rng % LIVE);
        good &= vkw_object_table_remove(&t, ids[k], 1);
        ids[k] = next_id++ * 0x10000;
        good &= vkw_object_table_insert(&t, ids[k], 1, ids[k] ^ 1, 0) == VKW_OK;
        if (t.tombstones > most_tombstones)
            most_tombstones = t.tombstones;
    }
    ok(good, "%d random replacements at the object limit succeed", STEPS);
    ok(most_tombstones > 0, "... and exercised tombstones (up to %zu)", most_tombstones);
    good = t.count == LIVE;
    for (int i = 0; i < LIVE; i++) {
        uint64_t host;
        good &= vkw_object_table_lookup(&t, ids[i], 1, &host) && host == (ids[i] ^ 1);
        good &= vkw_object_table_id_of(&t, 1, ids[i] ^ 1) == ids[i];
    }
    for (uint64_t id = 1; id < next_id; id += 37) {
        bool live = false;
        for (int i = 0; i < LIVE && !live; i++)
            live = ids[i] == id * 0x10000;
        good &= (vkw_object_table_find(&t, id * 0x10000) != NULL) == live;
    }
    ok(good, "the table agrees with the reference array");
    ok(invariants_hold(&t), "invariants hold after random churn");
    vkw_object_table_fini(&t);
}

int main(void)
{
    test_basics();
    test_limit();
    test_reverse();
    test_reverse_order_many();
    test_failed();
    test_marks();
    test_growth();
    test_churn();
    return done_testing();
}
