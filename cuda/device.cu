#include "cuda/device.h"

#include <cuda_runtime.h>
#include <stdio.h>

extern "C" int cuda_device_count(const char **why)
{
    int n = 0;
    cudaError_t rc = cudaGetDeviceCount(&n);
    if (rc != cudaSuccess) {
        if (why) *why = cudaGetErrorString(rc);
        return 0;
    }
    if (why) *why = n ? "ok" : "no GPU";
    return n;
}

extern "C" void cuda_device_name(int i, char *buf, int n)
{
    cudaDeviceProp p;
    if (cudaGetDeviceProperties(&p, i) == cudaSuccess) snprintf(buf, (size_t)n, "%s", p.name);
    else snprintf(buf, (size_t)n, "?");
}
