#version 460
// The first hit group's: 1 + 2 x custom index + primitive.
#extension GL_EXT_ray_tracing : require
layout(location = 0) rayPayloadInEXT uint value;

void main()
{
    value = 1u + 2u * uint(gl_InstanceCustomIndexEXT) + uint(gl_PrimitiveID);
}
