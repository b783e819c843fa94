/* vkw_instance_cycles — what a program that makes instance after instance
 * pays (a test suite's custom instances, a tool run per job): each cycle
 * makes an instance, asks for its physical device and that device's
 * properties, makes a device, and destroys both.  Public API only, so the
 * same binary runs natively and through vkwire.
 *
 *   vkw_instance_cycles [CYCLES [keep]]   (default 10)
 *
 * With "keep", a first instance stays alive for the whole run, as a test
 * suite keeps its default one.  Prints the mean and the best cycle, ms. */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vulkan/vulkan.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static VkResult make_instance(VkInstance *instance)
{
    const VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                                   .pApplicationName = "vkw_instance_cycles",
                                   .apiVersion = VK_API_VERSION_1_3};
    const VkInstanceCreateInfo info = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                       .pApplicationInfo = &app};
    return vkCreateInstance(&info, NULL, instance);
}

/* One cycle; false (with a line on stderr) when a call fails. */
static bool cycle(void)
{
    VkInstance instance;
    if (make_instance(&instance) != VK_SUCCESS) {
        fprintf(stderr, "vkw_instance_cycles: vkCreateInstance failed\n");
        return false;
    }
    uint32_t count = 1;
    VkPhysicalDevice physical = VK_NULL_HANDLE;
    VkResult r = vkEnumeratePhysicalDevices(instance, &count, &physical);
    VkDevice device = VK_NULL_HANDLE;
    if (r >= 0 && count == 1) {
        VkPhysicalDeviceProperties props;
        vkGetPhysicalDeviceProperties(physical, &props);
        const float priority = 1.0f;
        const VkDeviceQueueCreateInfo queue = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                               .queueCount = 1,
                                               .pQueuePriorities = &priority};
        const VkDeviceCreateInfo info = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                         .queueCreateInfoCount = 1,
                                         .pQueueCreateInfos = &queue};
        r = vkCreateDevice(physical, &info, NULL, &device);
    }
    if (device)
        vkDestroyDevice(device, NULL);
    vkDestroyInstance(instance, NULL);
    if (r != VK_SUCCESS || count != 1) {
        fprintf(stderr, "vkw_instance_cycles: no device (%d)\n", (int)r);
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    const int cycles = argc > 1 ? atoi(argv[1]) : 10;
    const bool keep = argc > 2 && strcmp(argv[2], "keep") == 0;
    if (cycles < 1) {
        fprintf(stderr, "usage: vkw_instance_cycles [CYCLES [keep]]\n");
        return 2;
    }
    VkInstance kept = VK_NULL_HANDLE;
    if (keep && make_instance(&kept) != VK_SUCCESS) {
        fprintf(stderr, "vkw_instance_cycles: vkCreateInstance failed\n");
        return 1;
    }
    double sum = 0, best = 1e30;
    for (int i = 0; i < cycles; i++) {
        const double start = now_ms();
        if (!cycle())
            return 1;
        const double took = now_ms() - start;
        sum += took;
        best = took < best ? took : best;
    }
    if (kept)
        vkDestroyInstance(kept, NULL);
    printf("instance-cycles %d%s: mean %.1f ms, best %.1f ms\n", cycles,
           keep ? " (a first instance kept)" : "", sum / cycles, best);
    return 0;
}
