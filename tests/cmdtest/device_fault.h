/* vkw_cmdtest family: device fault reports (VK_EXT_device_fault).  On a
 * device that has had no fault the query asks the counts, then the info
 * with that much room: both calls must succeed and say the same counts;
 * the counts and whether a description came go into the digest.  (What a
 * real fault reports cannot be caused on purpose here: tests/test_dispatch.c
 * checks the records with a fake driver.) */

static VkPhysicalDeviceFaultFeaturesEXT fault_features;

static void needs_device_fault(struct ctx *c, struct device_needs *n)
{
    if (!device_offers(c, VK_EXT_DEVICE_FAULT_EXTENSION_NAME)) {
        n->skip = true;
        snprintf(n->skip_why, sizeof n->skip_why, "no VK_EXT_device_fault");
        return;
    }
    fault_features = (VkPhysicalDeviceFaultFeaturesEXT){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FAULT_FEATURES_EXT};
    VkPhysicalDeviceFeatures2 f = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                   .pNext = &fault_features};
    vkGetPhysicalDeviceFeatures2(c->physical, &f);
    if (!fault_features.deviceFault) {
        n->skip = true;
        snprintf(n->skip_why, sizeof n->skip_why, "deviceFault off");
        return;
    }
    n->extensions[n->extension_count++] = VK_EXT_DEVICE_FAULT_EXTENSION_NAME;
    n->features = &fault_features;
}

static void scenario_device_fault(struct ctx *c)
{
    PFN_vkGetDeviceFaultInfoEXT get =
        (PFN_vkGetDeviceFaultInfoEXT)vkGetDeviceProcAddr(c->device, "vkGetDeviceFaultInfoEXT");
    EXPECT(get != NULL, "vkGetDeviceFaultInfoEXT is missing");
    VkDeviceFaultCountsEXT counts = {.sType = VK_STRUCTURE_TYPE_DEVICE_FAULT_COUNTS_EXT};
    VK(get(c->device, &counts, NULL));
    printf("# fault counts: %u addresses, %u vendor records, %llu vendor bytes\n",
           counts.addressInfoCount, counts.vendorInfoCount,
           (unsigned long long)counts.vendorBinarySize);
    const VkDeviceFaultCountsEXT asked = counts;
    VkDeviceFaultAddressInfoEXT addresses[8];
    VkDeviceFaultVendorInfoEXT vendors[8];
    static uint8_t bytes[1 << 16];
    EXPECT(counts.addressInfoCount <= 8 && counts.vendorInfoCount <= 8 &&
               counts.vendorBinarySize <= sizeof bytes,
           "a device without a fault reports %u addresses, %u vendor records",
           counts.addressInfoCount, counts.vendorInfoCount);
    VkDeviceFaultInfoEXT info = {.sType = VK_STRUCTURE_TYPE_DEVICE_FAULT_INFO_EXT,
                                 .pAddressInfos = addresses,
                                 .pVendorInfos = vendors,
                                 .pVendorBinaryData =
                                     fault_features.deviceFaultVendorBinary ? bytes : NULL};
    if (!fault_features.deviceFaultVendorBinary)
        counts.vendorBinarySize = 0;
    VK(get(c->device, &counts, &info));
    EXPECT(counts.addressInfoCount == asked.addressInfoCount &&
               counts.vendorInfoCount == asked.vendorInfoCount,
           "the counts changed between the two calls");
    digest_u32(c, counts.addressInfoCount);
    digest_u32(c, counts.vendorInfoCount);
    digest_u32(c, info.description[0] != 0);
}

#define CMDTEST_DEVICE_FAULT                                                                \
    {"device_fault", scenario_device_fault,                                                \
     "a device without a fault: the counts, then the info with that much room, agree",     \
     false, needs_device_fault, false},
