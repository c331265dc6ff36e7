/* clock.c: POSIX monotonic clock and nanosleep. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <time.h>

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
