// A CPU allocator for libtorch that keeps large freed blocks for reuse (see large_block_cache.cc for why).
#pragma once

#include <cstddef>

namespace pn {

// Installs the caching allocator as libtorch's CPU allocator unless PEFT_NATIVE_CPU_ALLOCATOR=system. Called
// once when the addon loads, before any tensor exists. It serves large blocks inside a LargeBlockCacheScope only.
void InstallLargeBlockCache();

struct LargeBlockCacheStats {
  size_t liveBytes = 0;      // large blocks handed out and not yet freed
  size_t cachedBytes = 0;    // large blocks freed and kept for reuse
  size_t highWaterBytes = 0; // the most ever live at once: live + cached stays within it
  size_t cachedPieces = 0;   // cached blocks (and block tails)
  size_t hits = 0;           // served by (the head of) one cached block
  size_t assembled = 0;      // served by moving the pages of several cached blocks into one range
  size_t misses = 0;         // nothing cached: fresh pages
  size_t freshBytes = 0;     // bytes served by fresh pages (each page faults in on first touch)
  size_t released = 0;       // pieces given back to the kernel
  bool installed = false;
};

LargeBlockCacheStats GetLargeBlockCacheStats();

// While one exists, large CPU blocks come from the cache: a training step's forward and backward (Trainer).
class LargeBlockCacheScope {
 public:
  LargeBlockCacheScope();
  ~LargeBlockCacheScope();
  LargeBlockCacheScope(const LargeBlockCacheScope&) = delete;
  LargeBlockCacheScope& operator=(const LargeBlockCacheScope&) = delete;
};

}  // namespace pn
