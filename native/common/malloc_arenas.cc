#include "common/malloc_arenas.h"

#include <cstdlib>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace pn {

void LimitMallocArenas() {
#if defined(__GLIBC__)
  int arenas = 2;
  if (const char* value = std::getenv("PEFT_NATIVE_MALLOC_ARENAS")) {
    try {
      arenas = std::stoi(value);
    } catch (const std::exception&) {
      return;  // not a number: leave glibc alone rather than guess
    }
  }
  if (arenas > 0) mallopt(M_ARENA_MAX, arenas);
#endif
}

}  // namespace pn
