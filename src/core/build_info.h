/**
 * @file build_info.h
 * @brief What was built, from what, how: filled in by CMake (src/core/build_info.c.in).
 */
#ifndef SYNOBS_BUILD_INFO_H
#define SYNOBS_BUILD_INFO_H

extern const char synobs_version[];
extern const char synobs_git_hash[];
extern const char synobs_build_type[];
extern const char synobs_c_flags[];
extern const char synobs_compiler[];
extern const int synobs_have_cuda;
/** inputs/demo.par, embedded at build time. */
extern const char synobs_demo_par[];

#endif
