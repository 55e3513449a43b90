/* The CUDA backend sees a GPU. Reported as skipped (exit 77) where the backend is not built or
 * no GPU/driver is present, saying which. */
#include <stdio.h>

#ifdef SYNOBS_HAVE_CUDA
#include "cuda/device.h"
#endif

int main(void)
{
#ifdef SYNOBS_HAVE_CUDA
    const char *why = "";
    int n = cuda_device_count(&why);
    if (n == 0) {
        printf("SKIP: CUDA backend built, but no usable GPU here (%s)\n", why);
        return 77;
    }
    for (int i = 0; i < n; i++) {
        char name[256];
        cuda_device_name(i, name, sizeof name);
        printf("GPU %d: %s\n", i, name);
    }
    return 0;
#else
    printf("SKIP: synobs was built without the CUDA backend (SYNOBS_CUDA=OFF or no nvcc)\n");
    return 77;
#endif
}
