/* vkw_host_fault — the host's half of vkGetDeviceFaultInfoEXT's wire form
 * (VK_EXT_device_fault; doc/PROTOCOL.md 25).
 *
 * Owns: the encode-with pair gen/annotations.conf names for
 * vkGetDeviceFaultInfoEXT.pFaultInfo: the room the guest asked for becomes
 * zeroed arrays in the decode arena, whose sizes go into the driver's
 * pFaultCounts (the counts it reads as input when pFaultInfo is not NULL);
 * the reply brings back no more than the driver says it wrote, and never
 * more than that room.  The prototypes are in generated/vkw_host_decode.h.
 */
#ifndef VKW_HOST_FAULT_H
#define VKW_HOST_FAULT_H

#include "vkw_host_decode.h"

#endif /* VKW_HOST_FAULT_H */
