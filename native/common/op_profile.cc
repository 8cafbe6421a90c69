#include "common/op_profile.h"

#include <torch/csrc/autograd/profiler_kineto.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

namespace pn {
namespace {

namespace prof = torch::autograd::profiler;
using torch::profiler::impl::ActivityType;
using torch::profiler::impl::ProfilerConfig;
using torch::profiler::impl::ProfilerState;

// Enables the profiler for its scope; an exception in the work still disables it.
class ProfilerScope {
 public:
  ProfilerScope() {
    const ProfilerConfig config(ProfilerState::KINETO);
    const std::set<ActivityType> activities{ActivityType::CPU};
    prof::prepareProfiler(config, activities);
    prof::enableProfiler(config, activities);
  }
  ~ProfilerScope() {
    if (!active_) return;
    try {
      prof::disableProfiler();
    } catch (...) {  // already failing: the work's exception is the one to report
    }
  }
  ProfilerScope(const ProfilerScope&) = delete;
  ProfilerScope& operator=(const ProfilerScope&) = delete;

  std::unique_ptr<prof::ProfilerResult> Finish() {
    active_ = false;
    return prof::disableProfiler();
  }

 private:
  bool active_ = true;
};

struct Span {
  const prof::KinetoEvent* event;
  uint64_t start, end;
  double childNs = 0;
};

}  // namespace

std::vector<OpTime> ProfileOps(const std::function<void()>& work) {
  ProfilerScope scope;
  work();
  std::unique_ptr<prof::ProfilerResult> result = scope.Finish();
  // Self time: an operator's duration less that of the operators nested in it on the same thread.
  std::map<uint64_t, std::vector<Span>> byThread;
  for (const prof::KinetoEvent& e : result->events()) {
    if (e.deviceType() != c10::DeviceType::CPU || e.isAsync()) continue;
    byThread[e.startThreadId()].push_back(Span{&e, e.startNs(), e.endNs()});
  }
  std::map<std::string, OpTime> byName;
  for (auto& [thread, spans] : byThread) {
    std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.start != b.start ? a.start < b.start : a.end > b.end; });
    std::vector<Span*> open;
    for (Span& s : spans) {
      while (!open.empty() && open.back()->end <= s.start) open.pop_back();
      if (!open.empty()) open.back()->childNs += static_cast<double>(s.end - s.start);
      open.push_back(&s);
    }
    for (const Span& s : spans) {
      OpTime& t = byName[s.event->name()];
      t.name = s.event->name();
      t.calls += 1;
      const double ns = static_cast<double>(s.end - s.start);
      t.totalMs += ns / 1e6;
      t.selfMs += std::max(0.0, ns - s.childNs) / 1e6;
    }
  }
  std::vector<OpTime> out;
  for (auto& [name, t] : byName) out.push_back(t);
  std::sort(out.begin(), out.end(), [](const OpTime& a, const OpTime& b) { return a.selfMs > b.selfMs; });
  return out;
}

}  // namespace pn
