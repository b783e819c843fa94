/* vkw_cmdtest family: calibrated timestamps (VK_KHR_calibrated_timestamps,
 * VK_EXT_calibrated_timestamps).  Every time domain offered must mean
 * something to the application: a host clock's timestamp lies between two
 * readings of the application's own clock (through vkwire, a host clock
 * that is not the guest's must not be offered at all: another machine, a
 * time namespace), and the device's lies after a timestamp the device
 * wrote earlier.  The domains offered go into the digest; "# time
 * domains:" lists them. */

static const char *calibrated_extension(struct ctx *c)
{
    if (device_offers(c, VK_KHR_CALIBRATED_TIMESTAMPS_EXTENSION_NAME))
        return VK_KHR_CALIBRATED_TIMESTAMPS_EXTENSION_NAME;
    if (device_offers(c, VK_EXT_CALIBRATED_TIMESTAMPS_EXTENSION_NAME))
        return VK_EXT_CALIBRATED_TIMESTAMPS_EXTENSION_NAME;
    return NULL;
}

static void needs_calibrated_timestamps(struct ctx *c, struct device_needs *n)
{
    const char *name = calibrated_extension(c);
    if (!name) {
        n->skip = true;
        snprintf(n->skip_why, sizeof n->skip_why, "no calibrated timestamps");
        return;
    }
    n->extensions[n->extension_count++] = name;
}

static uint64_t clock_ns(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void scenario_calibrated_timestamps(struct ctx *c)
{
    const bool khr = strcmp(calibrated_extension(c), VK_KHR_CALIBRATED_TIMESTAMPS_EXTENSION_NAME) == 0;
    PFN_vkGetPhysicalDeviceCalibrateableTimeDomainsKHR get_domains =
        (PFN_vkGetPhysicalDeviceCalibrateableTimeDomainsKHR)vkGetInstanceProcAddr(
            c->instance, khr ? "vkGetPhysicalDeviceCalibrateableTimeDomainsKHR"
                             : "vkGetPhysicalDeviceCalibrateableTimeDomainsEXT");
    PFN_vkGetCalibratedTimestampsKHR get_timestamps =
        (PFN_vkGetCalibratedTimestampsKHR)vkGetDeviceProcAddr(
            c->device, khr ? "vkGetCalibratedTimestampsKHR" : "vkGetCalibratedTimestampsEXT");
    EXPECT(get_domains && get_timestamps, "the calibrated timestamp commands are missing");
    VkTimeDomainKHR domains[8];
    uint32_t n = 8;
    VK(get_domains(c->physical, &n, domains));
    printf("# time domains:");
    bool device = false;
    for (uint32_t i = 0; i < n; i++) {
        printf(" %d", (int)domains[i]);
        device |= domains[i] == VK_TIME_DOMAIN_DEVICE_KHR;
    }
    printf("\n");
    EXPECT(device, "the device's time domain is not offered");
    for (int d = 0; d <= VK_TIME_DOMAIN_QUERY_PERFORMANCE_COUNTER_KHR; d++) {
        bool offered = false;
        for (uint32_t i = 0; i < n; i++)
            offered |= domains[i] == (VkTimeDomainKHR)d;
        digest_u32(c, offered); /* in a fixed order, whatever the driver's */
    }

    /* A timestamp the device writes, then the device's domain after it. */
    VkQueryPool pool = query_pool_new(c, VK_QUERY_TYPE_TIMESTAMP, 1, 0);
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, 0);
    vkCmdResetQueryPool(cb, pool, 0, 1);
    vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, pool, 0);
    end(c, cb);
    submit_and_wait(c, cb);
    uint64_t written = 0;
    VK(vkGetQueryPoolResults(c->device, pool, 0, 1, sizeof written, &written, sizeof written,
                             VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT));

    for (uint32_t i = 0; i < n; i++) {
        const VkTimeDomainKHR domain = domains[i];
        const clockid_t clock = domain == VK_TIME_DOMAIN_CLOCK_MONOTONIC_KHR ? CLOCK_MONOTONIC
                                : domain == VK_TIME_DOMAIN_CLOCK_MONOTONIC_RAW_KHR
                                    ? CLOCK_MONOTONIC_RAW
                                    : (clockid_t)-1;
        const VkCalibratedTimestampInfoKHR infos[2] = {
            {.sType = VK_STRUCTURE_TYPE_CALIBRATED_TIMESTAMP_INFO_KHR,
             .timeDomain = VK_TIME_DOMAIN_DEVICE_KHR},
            {.sType = VK_STRUCTURE_TYPE_CALIBRATED_TIMESTAMP_INFO_KHR, .timeDomain = domain}};
        uint64_t ts[2] = {0, 0}, deviation = 0;
        const uint64_t before = clock != (clockid_t)-1 ? clock_ns(clock) : 0;
        VK(get_timestamps(c->device, 2, infos, ts, &deviation));
        const uint64_t after = clock != (clockid_t)-1 ? clock_ns(clock) : 0;
        EXPECT(ts[0] >= written,
               "domain %d: the device's timestamp %llu is before one it wrote earlier (%llu)",
               (int)domain, (unsigned long long)ts[0], (unsigned long long)written);
        if (clock != (clockid_t)-1)
            EXPECT(ts[1] + deviation >= before && ts[1] <= after + deviation,
                   "domain %d: %llu is not the application's clock (between %llu and %llu, "
                   "deviation %llu)",
                   (int)domain, (unsigned long long)ts[1], (unsigned long long)before,
                   (unsigned long long)after, (unsigned long long)deviation);
    }
}

#define CMDTEST_CLOCKS                                                                      \
    {"calibrated_timestamps", scenario_calibrated_timestamps,                              \
     "every time domain offered means something here: host clocks read between the "      \
     "application's own readings, the device's after a timestamp it wrote",                \
     false, needs_calibrated_timestamps, false},
