/**
 * @file device.h
 * @brief GPUs visible to this rank. Safe without a driver: reports 0 and the reason.
 */
#ifndef SYNOBS_CUDA_DEVICE_H
#define SYNOBS_CUDA_DEVICE_H

#ifdef __cplusplus
extern "C" {
#endif

/** Number of usable GPUs; on failure 0 and *why (static text) says why. */
int cuda_device_count(const char **why);
/** Name of device i into buf. */
void cuda_device_name(int i, char *buf, int n);

#ifdef __cplusplus
}
#endif

#endif
