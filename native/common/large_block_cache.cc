// Why: glibc serves blocks of up to 32 MB from its heaps once a block of that size has been freed (its dynamic
// mmap threshold). A training step allocates and frees hundreds of megabytes of 1-30 MB activations in an order
// the heaps cannot coalesce, so freed holes pile up and the process's peak RSS ends far above what is live
// (LoRA bf16 step, 58M Llama, batch 4 x 256: 673 MB peak, ~505 MB with every large block mapped on its own).
// Mapping every large block on its own instead costs a page fault per 4 KB on every step (5x slower steps here).
//
// This allocator maps large blocks itself and recycles the pages of freed ones: a request takes a cached block
// of about its size, or the head of a larger one, or has the pages of several smaller cached blocks moved into
// one range (mremap moves pages without touching them, so no fault and no copy). Freed pages are kept while the
// large blocks mapped stay within the most that was ever live at once, so the pages of one step serve the next
// and peak RSS is what was live. Small blocks go to libtorch's default allocator untouched. Linux only.
#include "common/large_block_cache.h"

#include <c10/core/CPUAllocator.h>

#include <cstdlib>
#include <memory>
#include <string>

#if defined(__linux__)
#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>
#endif

namespace pn {

#if defined(__linux__)
namespace {

constexpr size_t kPage = 4096;
constexpr size_t kMiB = size_t{1} << 20;
// Requests from this size on are mapped here; cached pieces below kMinPiece are given back (too small to be
// worth a syscall when a range is assembled).
constexpr size_t kThreshold = kMiB;
constexpr size_t kMinPiece = 256 * 1024;
// Pages moved in from elsewhere stay separate kernel mappings (VMAs), and a process may hold ~65,000. Each block
// counts (an upper bound of) the mappings it spans; a range is assembled from no more than kMaxSegments, and a
// freed block spanning more is given back rather than cached, so mappings stay within kMaxSegments x blocks.
constexpr uint32_t kMaxSegments = 8;
// At most this many cached pieces (the smallest are given back first).
constexpr size_t kMaxCachedPieces = 1024;

void* MapFresh(size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  TORCH_CHECK_WITH(OutOfMemoryError, p != MAP_FAILED, "CPU out of memory: could not map ", bytes, " bytes");
  return p;
}

class LargeBlockCache final : public c10::Allocator {
 public:
  explicit LargeBlockCache(c10::Allocator* small) : small_(small) {}

  c10::DataPtr allocate(size_t n) override {
    if (n < kThreshold) return small_->allocate(n);
    void* p = Acquire((n + kPage - 1) / kPage * kPage);
    return {p, p, &Release, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &RawDelete; }

  void copy_data(void* dest, const void* src, std::size_t count) const override { default_copy_data(dest, src, count); }

  LargeBlockCacheStats Stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    LargeBlockCacheStats s = stats_;
    s.highWaterBytes = highWater_;
    s.cachedPieces = cached_.size();
    s.installed = true;
    return s;
  }

  // Returns false when `ptr` is not one of this allocator's large blocks.
  bool Free(void* ptr) {
    std::vector<Piece> surplus;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = live_.find(ptr);
      if (it == live_.end()) return false;
      const Piece block{static_cast<char*>(ptr), it->second.bytes, it->second.segments};
      live_.erase(it);
      stats_.liveBytes -= block.bytes;
      if (block.segments > kMaxSegments) {
        surplus.push_back(block);
      } else {
        Cache(block);
      }
      // Keep no more than the most ever live at once (beyond that the pages would never all be in use), and a
      // bounded number of pieces.
      while (!cached_.empty() && stats_.liveBytes + stats_.cachedBytes > highWater_) {
        surplus.push_back(Uncache(std::prev(cached_.end())));
      }
      while (cached_.size() > kMaxCachedPieces) surplus.push_back(Uncache(cached_.begin()));
      stats_.released += surplus.size();
    }
    for (const Piece& p : surplus) munmap(p.ptr, p.bytes);
    return true;
  }

  c10::Allocator* small() const { return small_; }

 private:
  struct Piece {
    char* ptr;
    size_t bytes;
    uint32_t segments;  // kernel mappings it spans, at most
  };
  struct Span {
    size_t bytes;
    uint32_t segments;
  };

  void* Acquire(size_t bytes) {
    std::vector<Piece> parts;
    std::vector<Piece> dropped;
    uint32_t segments = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto fit = cached_.lower_bound(bytes);
      if (fit != cached_.end()) {
        // The smallest cached block that holds the request: its head serves it, the rest stays cached.
        const Piece block = Uncache(fit);
        const Piece tail{block.ptr + bytes, block.bytes - bytes, block.segments};
        if (tail.bytes >= kMinPiece) {
          Cache(tail);
        } else if (tail.bytes > 0) {
          dropped.push_back(tail);
        }
        stats_.hits++;
        return Hand({block.ptr, bytes, block.segments}, dropped);
      }
      // Every cached block is smaller: gather the largest ones until the request is covered.
      size_t gathered = 0;
      while (gathered < bytes && !cached_.empty()) {
        auto largest = std::prev(cached_.end());
        if (segments + largest->second.segments >= kMaxSegments) break;  // the fresh rest adds one
        Piece p = Uncache(largest);
        gathered += p.bytes;
        segments += p.segments;
        parts.push_back(p);
      }
      if (gathered > bytes) {
        // The last piece overshoots: its tail stays cached (or is given back when small).
        Piece& last = parts.back();
        const size_t over = gathered - bytes;
        const Piece tail{last.ptr + (last.bytes - over), over, last.segments};
        last.bytes -= over;
        if (over >= kMinPiece) {
          Cache(tail);
        } else {
          dropped.push_back(tail);
        }
      } else if (gathered < bytes) {
        segments++;  // fresh pages after the moved ones
      }
      if (parts.empty()) {
        stats_.misses++;
      } else {
        stats_.assembled++;
      }
    }
    // A fresh range; the gathered pieces' pages are moved over its start, the rest faults in on first touch.
    char* range = static_cast<char*>(MapFresh(bytes));
    size_t offset = 0;
    for (const Piece& p : parts) {
      void* moved = mremap(p.ptr, p.bytes, p.bytes, MREMAP_MAYMOVE | MREMAP_FIXED, range + offset);
      if (moved == MAP_FAILED) dropped.push_back(p);  // the range keeps fresh pages there instead
      offset += p.bytes;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    return Hand({range, bytes, std::max<uint32_t>(segments, 1)}, dropped);
  }

  // Records a block handed out (the lock held) and gives back the pages in `dropped`.
  void* Hand(const Piece& block, const std::vector<Piece>& dropped) {
    live_[block.ptr] = {block.bytes, block.segments};
    stats_.liveBytes += block.bytes;
    highWater_ = std::max(highWater_, stats_.liveBytes);
    for (const Piece& p : dropped) munmap(p.ptr, p.bytes);
    stats_.released += dropped.size();
    return block.ptr;
  }

  void Cache(const Piece& p) {
    cached_.emplace(p.bytes, Cached{p.ptr, p.segments});
    stats_.cachedBytes += p.bytes;
  }

  struct Cached {
    char* ptr;
    uint32_t segments;
  };
  using CacheMap = std::multimap<size_t, Cached>;  // by size

  Piece Uncache(CacheMap::iterator it) {
    const Piece p{it->second.ptr, it->first, it->second.segments};
    cached_.erase(it);
    stats_.cachedBytes -= p.bytes;
    return p;
  }

  static void Release(void* ptr);
  static void RawDelete(void* ptr);

  c10::Allocator* small_;
  std::mutex mutex_;
  std::unordered_map<void*, Span> live_;
  CacheMap cached_;
  size_t highWater_ = 0;
  LargeBlockCacheStats stats_;
};

LargeBlockCache* g_cache = nullptr;

void LargeBlockCache::Release(void* ptr) { g_cache->Free(ptr); }

void LargeBlockCache::RawDelete(void* ptr) {
  if (!g_cache->Free(ptr)) g_cache->small()->raw_deleter()(ptr);
}

}  // namespace

void InstallLargeBlockCache() {
  if (g_cache != nullptr) return;
  const char* choice = std::getenv("PEFT_NATIVE_CPU_ALLOCATOR");
  if (choice != nullptr && std::string(choice) == "system") return;
  // Released on purpose: tensors freed during static destruction at exit still return their blocks here.
  g_cache = std::make_unique<LargeBlockCache>(c10::GetDefaultCPUAllocator()).release();
  c10::SetCPUAllocator(g_cache, /*priority=*/10);
}

LargeBlockCacheStats GetLargeBlockCacheStats() { return g_cache ? g_cache->Stats() : LargeBlockCacheStats{}; }

#else

void InstallLargeBlockCache() {}
LargeBlockCacheStats GetLargeBlockCacheStats() { return {}; }

#endif

}  // namespace pn
