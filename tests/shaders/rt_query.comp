#version 460
// vkw_cmdtest ray_query and ray_host_build: one ray per pixel of a 32x16
// image, straight down from z = 10 over x in [0, 2), y in [0, 1): what it
// hits, as 1 + 2 x the instance's custom index + the primitive, or 0.
#extension GL_EXT_ray_query : require
layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 0, binding = 0) uniform accelerationStructureEXT scene;
layout(set = 0, binding = 1, r32ui) uniform writeonly uimage2D result;

void main()
{
    uvec2 p = gl_GlobalInvocationID.xy;
    if (p.x >= 32u || p.y >= 16u)
        return;
    vec3 origin = vec3((vec2(p) + 0.5) / 16.0, 10.0);
    rayQueryEXT q;
    rayQueryInitializeEXT(q, scene, gl_RayFlagsOpaqueEXT, 0xff, origin, 0.0, vec3(0.0, 0.0, -1.0),
                          100.0);
    while (rayQueryProceedEXT(q)) {
    }
    uint v = 0u;
    if (rayQueryGetIntersectionTypeEXT(q, true) == gl_RayQueryCommittedIntersectionTriangleEXT)
        v = 1u + 2u * uint(rayQueryGetIntersectionInstanceCustomIndexEXT(q, true)) +
            uint(rayQueryGetIntersectionPrimitiveIndexEXT(q, true));
    imageStore(result, ivec2(p), uvec4(v));
}
