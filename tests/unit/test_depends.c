/* test_depends — runtime/common/vkw_depends.c, the evaluator of the entry
 * table's conditions (vkGetDeviceProcAddr answers by them).
 *
 * Owns: versions against the version asked about (patch ignored),
 * extensions through the callback, '+' and ',' of one precedence left to
 * right, parentheses, feature names, and malformed text being false.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <vulkan/vulkan.h>

#include "tap.h"
#include "vkw_depends.h"

/* The extensions "enabled" in these tests: A and B. */
static bool has(void *user, const char *name, size_t length)
{
    (void)user;
    return (length == 6 && !memcmp(name, "VK_X_a", 6)) || (length == 6 && !memcmp(name, "VK_X_b", 6));
}

static bool hold(const char *expr, uint32_t version)
{
    return vkw_depends_hold(expr, version, has, NULL);
}

int main(void)
{
    const uint32_t v13 = VK_MAKE_API_VERSION(0, 1, 3, 0), v14 = VK_MAKE_API_VERSION(0, 1, 4, 305);
    ok(hold("VK_VERSION_1_3", v13) && hold("VK_VERSION_1_3", v14), "a version holds from itself up");
    ok(!hold("VK_VERSION_1_4", v13) && hold("VK_VERSION_1_4", v14),
       "and not below (the patch does not count)");
    ok(hold("VK_VERSION_1_0", VK_MAKE_API_VERSION(0, 1, 0, 0)), "1.0 holds for 1.0");
    ok(hold("VK_X_a", v13) && !hold("VK_X_c", v13), "an extension holds when the callback says so");
    ok(hold("VK_X_a+VK_X_b", v13) && !hold("VK_X_a+VK_X_c", v13), "'+' is and");
    ok(hold("VK_X_c,VK_X_b", v13) && !hold("VK_X_c,VK_X_d", v13), "',' is or");
    /* Left to right, one precedence: (a,c)+d is false; a,(c+d) is true. */
    ok(!hold("VK_X_a,VK_X_c+VK_X_d", v13), "',' and '+' bind left to right");
    ok(hold("VK_X_a,(VK_X_c+VK_X_d)", v13), "parentheses group");
    ok(hold("(VK_X_c),(VK_X_a+(VK_VERSION_1_3))", v13) &&
           !hold("(VK_X_c),(VK_X_a+(VK_VERSION_1_4))", v13),
       "a condition list as the generator writes it");
    ok(hold("VK_X_a+VkPhysicalDeviceVulkan12Features::drawIndirectCount", v13),
       "a feature name holds (the device's to have)");
    ok(!hold("", v13) && !hold("VK_X_a+", v13) && !hold("(VK_X_a", v13) &&
           !hold("VK_X_a)", v13) && !hold("VK_VERSION_1", v14) && !hold(NULL, v13),
       "malformed conditions are false");
    return done_testing();
}
