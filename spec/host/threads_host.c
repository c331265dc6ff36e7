/*
 * threads_host: the C core under concurrent use, for ThreadSanitizer.
 *
 *   threads_host WORK.lua [THREADS [ITERATIONS]]        (defaults 8, 1000000)
 *
 * Starts THREADS pthreads at once (a barrier); each makes its own lua_State, registers
 * this executable's authcodes.core in package.preload, runs WORK.lua (which returns a
 * function) and calls it with ITERATIONS. The function returns a checksum of what it
 * saw; every thread must return the same one, since the catalog is the same read-only
 * data for all. Built by `make check-threads` with -fsanitize=thread: a data race in
 * the core (or in what it shares between states) is a TSan report and exit status 66.
 * Exit status 1 if a thread fails or the checksums differ.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

#include "host.h"

int luaopen_authcodes_core(lua_State *L);

#define MAX_THREADS 64

struct job {
  int id;
  const char *script;
  lua_Integer iterations;
  char result[256];  /* checksum, or the error */
  int ok;
};

static pthread_barrier_t start;


static void *run(void *arg) {
  struct job *job = arg;
  lua_State *L = luaL_newstate();
  int status;
  pthread_barrier_wait(&start);
  if (L == NULL) {
    snprintf(job->result, sizeof job->result, "cannot create a Lua state");
    return NULL;
  }
  luaL_openlibs(L);
  host_preload_core(L, luaopen_authcodes_core);

  lua_pushcfunction(L, host_traceback);
  status = luaL_loadfile(L, job->script);
  if (status == LUA_OK) status = lua_pcall(L, 0, 1, 1);  /* the script returns the work function */
  if (status == LUA_OK) {
    lua_pushinteger(L, job->iterations);
    status = lua_pcall(L, 1, 1, 1);
  }
  if (status == LUA_OK && lua_type(L, -1) == LUA_TSTRING) {
    snprintf(job->result, sizeof job->result, "%s", lua_tostring(L, -1));
    job->ok = 1;
  } else {
    snprintf(job->result, sizeof job->result, "%s",
             status != LUA_OK ? lua_tostring(L, -1) : "the work function did not return a string");
  }
  lua_close(L);
  return NULL;
}

int main(int argc, char **argv) {
  struct job jobs[MAX_THREADS];
  pthread_t threads[MAX_THREADS];
  int n = argc > 2 ? atoi(argv[2]) : 8, i, failed = 0;
  long long iterations = argc > 3 ? atoll(argv[3]) : 1000000;
  if (argc < 2 || n < 1 || n > MAX_THREADS || iterations < 1) {
    fprintf(stderr, "usage: %s WORK.lua [THREADS (1..%d) [ITERATIONS]]\n", argv[0], MAX_THREADS);
    return 2;
  }
  if (pthread_barrier_init(&start, NULL, (unsigned)n) != 0) {
    fprintf(stderr, "threads_host: pthread_barrier_init failed\n");
    return 1;
  }
  for (i = 0; i < n; i++) {
    memset(&jobs[i], 0, sizeof jobs[i]);
    jobs[i].id = i;
    jobs[i].script = argv[1];
    jobs[i].iterations = (lua_Integer)iterations;
    if (pthread_create(&threads[i], NULL, run, &jobs[i]) != 0) {
      fprintf(stderr, "threads_host: pthread_create failed\n");
      return 1;  /* the others wait at the barrier forever: exit does not */
    }
  }
  for (i = 0; i < n; i++) pthread_join(threads[i], NULL);
  pthread_barrier_destroy(&start);

  for (i = 0; i < n; i++) {
    printf("thread %d: %s %s\n", i, jobs[i].ok ? "checksum" : "FAILED", jobs[i].result);
    if (!jobs[i].ok || strcmp(jobs[i].result, jobs[0].result) != 0) failed = 1;
  }
  if (failed) {
    printf("check-threads: FAILED: a thread failed or the checksums differ\n");
    return 1;
  }
  printf("check-threads: %d threads x %lld iterations, identical checksums\n", n, iterations);
  return 0;
}
