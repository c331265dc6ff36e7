/* clock.h: monotonic time and sleeping, for the retry helper outside nginx. */
#ifndef AUTHCODES_CLOCK_H
#define AUTHCODES_CLOCK_H

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

/* Seconds on a monotonic clock (arbitrary origin); wall-clock jumps do not move it. */
double ac_now(void);

/* Sleep for `seconds` (clamped to 0 .. 1 day), resuming after signals.
 * Returns 0, or -1 if the clock failed. */
int ac_sleep(double seconds);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
