// Why: glibc serves blocks of up to 32 MB from its heaps once a block of that size has been freed (its dynamic
// mmap threshold). A training step allocates and frees hundreds of megabytes of 1-30 MB activations in an order
// the heaps cannot coalesce, so freed holes pile up and the process's peak RSS ends far above what is live
// (LoRA bf16 step, 58M Llama, batch 4 x 256: 673 MB peak, ~505 MB with every large block mapped on its own).
// Mapping every large block on its own instead costs a page fault per 4 KB on every step (5x slower steps here).
//
// During training steps (LargeBlockCacheScope), this allocator maps large blocks itself and recycles the pages of
// freed ones: a request takes the head of the smallest cached block that holds it, or has the pages of several
// smaller cached blocks moved into one range (mremap moves pages without touching them: no fault, no copy). Freed pages are kept while the
// large blocks mapped stay within the most that was ever live at once, so the pages of one step serve the next
// and peak RSS is what was live. Small blocks go to libtorch's default allocator untouched. Linux only.
//
// Outside training steps everything goes to the default allocator: generation's block sizes change with every
// prompt, and there glibc's heap, which hands back the memory freed last (still in the CPU caches), ran a
// SuperNI evaluation ~13% faster than this cache (its elementwise kernels and GEMM outputs wrote to colder memory).
// A block is freed by whichever allocator made it (the DataPtr carries its deleter), so the two mix safely.
#include "common/large_block_cache.h"

#include <c10/core/CPUAllocator.h>

#include <atomic>
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
// records where its mappings begin (Piece::starts); a range is assembled from fewer than kMaxSegments, so
// mappings stay within kMaxSegments x blocks.
constexpr size_t kMaxSegments = 8;
// At most this many cached pieces (the smallest are given back first).
constexpr size_t kMaxCachedPieces = 1024;

void* MapFresh(size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  TORCH_CHECK_WITH(OutOfMemoryError, p != MAP_FAILED, "CPU out of memory: could not map ", bytes, " bytes");
  return p;
}

// A run of pages and where, within it, each kernel mapping (VMA) begins: offset 0, and one more offset for every
// piece moved in from elsewhere.
struct Piece {
  char* ptr = nullptr;
  size_t bytes = 0;
  std::vector<size_t> starts{0};

  size_t segments() const { return starts.size(); }
  // Cuts the piece at `at` (a page multiple): this keeps [0, at), the result is [at, bytes).
  Piece SplitAt(size_t at) {
    Piece tail{ptr + at, bytes - at, {0}};
    for (size_t s : starts) {
      if (s > at) tail.starts.push_back(s - at);
    }
    starts.erase(std::lower_bound(starts.begin(), starts.end(), at), starts.end());
    if (starts.empty()) starts.push_back(0);
    bytes = at;
    return tail;
  }
};

// Training steps under way (LargeBlockCacheScope); outside them every request goes to the default allocator.
std::atomic<int> g_activeScopes{0};

class LargeBlockCache final : public c10::Allocator {
 public:
  explicit LargeBlockCache(c10::Allocator* small) : small_(small) {}

  c10::DataPtr allocate(size_t n) override {
    if (n < kThreshold || g_activeScopes.load(std::memory_order_relaxed) == 0) return small_->allocate(n);
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
      Piece block = std::move(it->second);
      live_.erase(it);
      stats_.liveBytes -= block.bytes;
      Cache(std::move(block));
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
  void* Acquire(size_t bytes) {
    std::vector<Piece> parts;
    std::vector<Piece> dropped;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto fit = cached_.lower_bound(bytes);
      if (fit != cached_.end()) {
        // The smallest cached block that holds the request: its head serves it, the rest stays cached.
        Piece block = Uncache(fit);
        if (block.bytes > bytes) Recache(block.SplitAt(bytes), dropped);
        stats_.hits++;
        return Hand(std::move(block), dropped);
      }
      // Every cached block is smaller: gather the largest ones until the request is covered, within
      // kMaxSegments mappings (the fresh rest, if any, adds one).
      size_t gathered = 0, segments = 0;
      while (gathered < bytes && !cached_.empty()) {
        auto largest = std::prev(cached_.end());
        if (segments + largest->second.segments() >= kMaxSegments) break;
        Piece p = Uncache(largest);
        gathered += p.bytes;
        segments += p.segments();
        parts.push_back(std::move(p));
      }
      if (gathered > bytes) {
        // The last piece overshoots: its tail stays cached (or is given back when small).
        Piece& last = parts.back();
        Recache(last.SplitAt(last.bytes - (gathered - bytes)), dropped);
        gathered = bytes;
      }
      stats_.freshBytes += bytes - gathered;
      if (parts.empty()) {
        stats_.misses++;
      } else {
        stats_.assembled++;
      }
    }
    // A fresh range; the gathered pieces' pages are moved over its start, the rest faults in on first touch.
    Piece range{static_cast<char*>(MapFresh(bytes)), bytes, {}};
    size_t offset = 0;
    for (Piece& p : parts) {
      void* moved = mremap(p.ptr, p.bytes, p.bytes, MREMAP_MAYMOVE | MREMAP_FIXED, range.ptr + offset);
      if (moved == MAP_FAILED) {
        range.starts.push_back(offset);  // the range keeps its fresh pages there
        dropped.push_back(std::move(p));
      } else {
        for (size_t s : p.starts) range.starts.push_back(offset + s);
      }
      offset += p.bytes;
    }
    if (offset < bytes || range.starts.empty()) range.starts.push_back(offset < bytes ? offset : 0);
    std::sort(range.starts.begin(), range.starts.end());
    std::lock_guard<std::mutex> lock(mutex_);
    return Hand(std::move(range), dropped);
  }

  // Records a block handed out (the lock held) and gives back the pages in `dropped`.
  void* Hand(Piece block, const std::vector<Piece>& dropped) {
    char* ptr = block.ptr;
    stats_.liveBytes += block.bytes;
    highWater_ = std::max(highWater_, stats_.liveBytes);
    live_[ptr] = std::move(block);
    for (const Piece& p : dropped) munmap(p.ptr, p.bytes);
    stats_.released += dropped.size();
    return ptr;
  }

  // A split-off tail: cached, or given back when too small to be worth a syscall later.
  void Recache(Piece tail, std::vector<Piece>& dropped) {
    if (tail.bytes >= kMinPiece) {
      Cache(std::move(tail));
    } else {
      dropped.push_back(std::move(tail));
    }
  }

  void Cache(Piece p) {
    stats_.cachedBytes += p.bytes;
    const size_t bytes = p.bytes;
    cached_.emplace(bytes, std::move(p));
  }

  using CacheMap = std::multimap<size_t, Piece>;  // by size

  Piece Uncache(CacheMap::iterator it) {
    Piece p = std::move(it->second);
    cached_.erase(it);
    stats_.cachedBytes -= p.bytes;
    return p;
  }

  static void Release(void* ptr);
  static void RawDelete(void* ptr);

  c10::Allocator* small_;
  std::mutex mutex_;
  std::unordered_map<void*, Piece> live_;
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

LargeBlockCacheScope::LargeBlockCacheScope() { g_activeScopes.fetch_add(1, std::memory_order_relaxed); }
LargeBlockCacheScope::~LargeBlockCacheScope() { g_activeScopes.fetch_sub(1, std::memory_order_relaxed); }

#else

LargeBlockCacheScope::LargeBlockCacheScope() = default;
LargeBlockCacheScope::~LargeBlockCacheScope() = default;

void InstallLargeBlockCache() {}
LargeBlockCacheStats GetLargeBlockCacheStats() { return {}; }

#endif

}  // namespace pn
