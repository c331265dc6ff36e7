/* clock.h: monotonic time and sleeping, for the retry helper outside nginx. */
#ifndef AUTHCODES_CLOCK_H
#define AUTHCODES_CLOCK_H

#include <stdint.h>

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

/* Seconds on a monotonic clock (arbitrary origin); wall-clock jumps do not move it. */
double ac_now(void);

/* Sleep for `seconds` (clamped to 0 .. 1 day), resuming after signals.
 * Returns 0, or -1 if the clock failed. */
int ac_sleep(double seconds);

/* 64 random bits for seeding: /dev/urandom, mixed with the time, the process id and
 * `salt` (an address of the caller's state, different per Lua VM). No state kept. */
uint64_t ac_seed(const void *salt);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
