/* vkw_guest_fault — the guest's half of vkGetDeviceFaultInfoEXT's wire form
 * (VK_EXT_device_fault; doc/PROTOCOL.md 25).
 *
 * Owns: the encode-with pair gen/annotations.conf names for
 * vkGetDeviceFaultInfoEXT.pFaultInfo.  vk.xml gives the fault info's three
 * arrays no length: they are the counts the application put in
 * pFaultCounts, which vk.xml makes an output only.  The command carries
 * those counts as the room the host gives its driver; the reply brings
 * the description and what the driver wrote, which land in the
 * application's arrays (their prototypes are in generated/vkw_guest_encode.h).
 *
 * Lives in the guest's wire library (no ICD state), so the round-trip tests
 * link it.
 */
#ifndef VKW_GUEST_FAULT_H
#define VKW_GUEST_FAULT_H

#include "vkw_guest_encode.h"

#endif /* VKW_GUEST_FAULT_H */
