/*
 * Which sanitizer a unit is built with, for gcc (__SANITIZE_*__) and clang
 * (__has_feature): UTIL_ASAN, UTIL_TSAN.
 */
#ifndef UTIL_SANITIZERS_H
#define UTIL_SANITIZERS_H

#ifdef __has_feature
#if __has_feature(address_sanitizer)
#define UTIL_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define UTIL_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(UTIL_ASAN)
#define UTIL_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__) && !defined(UTIL_TSAN)
#define UTIL_TSAN 1
#endif

#endif /* UTIL_SANITIZERS_H */
