/* vkw_guest_forms — the guest's half of the hand-written wire forms of
 * shader and pipeline parameters (encode-with in gen/annotations.conf,
 * doc/PROTOCOL.md section 23).
 *
 * Owns: how these parameters are written into a command and read back from
 * its reply:
 *   vkCreatePipelineBinariesKHR.pBinaries   new objects inside an output
 *       struct: the ids the guest chose travel in (the guest entry point in
 *       vkw_guest_pipelines.c chose them), the count and which ones the
 *       driver made come back;
 *   vkGetPipelinePropertiesEXT.pPipelineProperties   a VkBaseOutStructure:
 *       its sType says what the host must allocate;
 *   vkConvertCooperativeVectorMatrixNV.pInfo   host pointers: the source
 *       bytes travel in, the destination's bytes come back;
 *   vkCmdConvertCooperativeVectorMatrixNV.pInfos   device addresses, and
 *       *pDstSize read rather than written.
 * Their prototypes are generated (generated/vkw_guest_encode.h); the
 * generated encoders and reply decoders call them.  They keep no state.
 */
#ifndef VKW_GUEST_FORMS_H
#define VKW_GUEST_FORMS_H

#include "vkw_guest_encode.h"

#endif /* VKW_GUEST_FORMS_H */
