/* vmwheel's floor (install-floor-toolchain.sh, aarch64/install-cross-toolchain.sh): the
   declarations a newer gcc's libstdc++ headers expect of glibc 2.17. */
#ifndef VMWHEEL_FLOOR_COMPAT_H
#define VMWHEEL_FLOOR_COMPAT_H
#ifdef __cplusplus
#include <pthread.h>
#include <time.h>
extern "C" {
int pthread_mutex_clocklock(pthread_mutex_t *, clockid_t, const struct timespec *);
int pthread_cond_clockwait(pthread_cond_t *, pthread_mutex_t *, clockid_t,
                           const struct timespec *);
int pthread_rwlock_clockrdlock(pthread_rwlock_t *, clockid_t, const struct timespec *);
int pthread_rwlock_clockwrlock(pthread_rwlock_t *, clockid_t, const struct timespec *);
}
#endif
#endif
