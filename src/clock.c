/* clock.c: POSIX monotonic clock and nanosleep, and a seed for the Lua side's
 * per-VM random generator. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

double ac_now(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0.0;
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int ac_sleep(double seconds) {
  struct timespec req, rem;
  /* NaN fails both comparisons and so sleeps 0, like a negative delay. */
  if (!(seconds > 0.0)) return 0;
  if (seconds > 86400.0) seconds = 86400.0;
  req.tv_sec = (time_t)seconds;
  req.tv_nsec = (long)((seconds - (double)req.tv_sec) * 1e9);
  if (req.tv_nsec > 999999999L) req.tv_nsec = 999999999L;
  while (nanosleep(&req, &rem) != 0) {
    if (errno != EINTR) return -1;
    req = rem;
  }
  return 0;
}

/* splitmix64's finaliser: spreads every input bit over the whole word. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

uint64_t ac_seed(const void *salt) {
  uint64_t r = 0, t;
  struct timespec ts;
  int fd = open("/dev/urandom", O_RDONLY);
  if (fd >= 0) {
    ssize_t got = read(fd, &r, sizeof r);
    if (got != (ssize_t)sizeof r) r = 0;
    close(fd);
  }
  /* Mixed in always, so that even without /dev/urandom (a chroot) two processes, or
   * two VMs of one process (skynet services), get different seeds. */
  t = (uint64_t)(uintptr_t)salt;
  if (clock_gettime(CLOCK_REALTIME, &ts) == 0) t ^= (uint64_t)ts.tv_sec * 1000000007u + (uint64_t)ts.tv_nsec;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0) t ^= mix64((uint64_t)ts.tv_nsec);
  t ^= (uint64_t)getpid() << 32;
  return mix64(r ^ mix64(t));
}
