/*
 * fuzz_gencatalog: tools/gencatalog.lua on hostile data files.
 * The driver (fuzz/fuzz_gencatalog.lua) writes each input over one of the data files
 * of a copy of spec/fixtures/gen/good and runs the generator on it in this process
 * (os.exit caught): it must either succeed or report `file:line: reason` lines and
 * exit 1. Any other Lua error inside the generator is a crash.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lua_fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lua_State *L;
static int driver;
static char tmpdir[] = "/tmp/fuzz_gencatalog.XXXXXX";

/* Remove the files in dir (and, depth 1, its subdirectories), then dir. */
static void remove_tree(const char *dir, int depth) {
  DIR *d = opendir(dir);
  struct dirent *ent;
  char path[4096];
  if (d == NULL) return;
  while ((ent = readdir(d)) != NULL) {
    struct stat st;
    if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) continue;
    if (snprintf(path, sizeof path, "%s/%s", dir, ent->d_name) >= (int)sizeof path) continue;
    if (lstat(path, &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (depth > 0) remove_tree(path, depth - 1);
    } else {
      unlink(path);
    }
  }
  closedir(d);
  rmdir(dir);
}

static void cleanup(void) { remove_tree(tmpdir, 1); }

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  char vendor[sizeof tmpdir + 8];
  (void)argc;
  (void)argv;
  if (mkdtemp(tmpdir) == NULL) {
    perror("fuzz_gencatalog: mkdtemp");
    abort();
  }
  atexit(cleanup);
  snprintf(vendor, sizeof vendor, "%s/vendor", tmpdir);
  if (mkdir(vendor, 0700) != 0) {
    perror("fuzz_gencatalog: mkdir");
    abort();
  }
  L = lf_newstate();
  lua_pushstring(L, tmpdir);
  lua_setglobal(L, "FUZZ_TMPDIR");
  driver = lf_load_driver(L, "fuzz/fuzz_gencatalog.lua");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lf_run(L, driver, data, size);
  return 0;
}
