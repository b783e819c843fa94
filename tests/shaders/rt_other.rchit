#version 460
// The second hit group's (instances whose shader binding table offset is
// 1): 100 more than rt_scene.rchit.
#extension GL_EXT_ray_tracing : require
layout(location = 0) rayPayloadInEXT uint value;

void main()
{
    value = 101u + 2u * uint(gl_InstanceCustomIndexEXT) + uint(gl_PrimitiveID);
}
