#include "generate/shared_prefixes.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace pn {
namespace {

int64_t CommonLength(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return static_cast<int64_t>(i);
}

}  // namespace

SharedPrefixes FindSharedPrefixes(const std::vector<std::vector<int64_t>>& prompts, int64_t minTokens) {
  const int64_t n = static_cast<int64_t>(prompts.size());
  SharedPrefixes out;
  out.groupOf.assign(static_cast<size_t>(n), -1);
  if (minTokens <= 0 || n < 2) return out;
  // In token order, prompts with a common beginning are neighbours, and a run's common length is the least
  // of its neighbours' (capped so that each keeps one token to compute).
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return prompts[static_cast<size_t>(a)] < prompts[static_cast<size_t>(b)]; });
  auto sorted = [&](int64_t i) -> const std::vector<int64_t>& { return prompts[static_cast<size_t>(order[static_cast<size_t>(i)])]; };
  std::vector<int64_t> usable(static_cast<size_t>(std::max<int64_t>(n - 1, 0)));
  for (int64_t i = 0; i + 1 < n; ++i) {
    const int64_t shortest = static_cast<int64_t>(std::min(sorted(i).size(), sorted(i + 1).size()));
    usable[static_cast<size_t>(i)] = std::min(CommonLength(sorted(i), sorted(i + 1)), shortest - 1);
  }
  // best[j]: the most tokens saved over the first j prompts in token order; start[j]: where the last group
  // of that plan starts (j - 1: prompt j - 1 stands alone).
  std::vector<int64_t> best(static_cast<size_t>(n + 1), 0), start(static_cast<size_t>(n + 1), 0), length(static_cast<size_t>(n + 1), 0);
  for (int64_t j = 1; j <= n; ++j) {
    best[static_cast<size_t>(j)] = best[static_cast<size_t>(j - 1)];
    start[static_cast<size_t>(j)] = j - 1;
    int64_t shared = std::numeric_limits<int64_t>::max();
    for (int64_t i = j - 2; i >= 0 && j - i <= kMaxGroupMembers; --i) {
      shared = std::min(shared, usable[static_cast<size_t>(i)]);
      if (shared < minTokens) break;
      const int64_t saved = best[static_cast<size_t>(i)] + (j - i - 1) * shared;
      if (saved > best[static_cast<size_t>(j)]) {
        best[static_cast<size_t>(j)] = saved;
        start[static_cast<size_t>(j)] = i;
        length[static_cast<size_t>(j)] = shared;
      }
    }
  }
  for (int64_t j = n; j > 0; j = start[static_cast<size_t>(j)]) {
    const int64_t i = start[static_cast<size_t>(j)];
    if (j - i < 2) continue;
    const int64_t group = static_cast<int64_t>(out.groupLength.size());
    out.groupLength.push_back(length[static_cast<size_t>(j)]);
    out.groupSize.push_back(j - i);
    for (int64_t m = i; m < j; ++m) out.groupOf[static_cast<size_t>(order[static_cast<size_t>(m)])] = group;
  }
  return out;
}

}  // namespace pn
