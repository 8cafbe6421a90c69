// RAII for libtorch autocast on one device type: enables it (with a lower-precision dtype) for a scope and
// restores the previous state after; the cast cache is cleared when the outermost autocast scope ends.
#pragma once

#include <ATen/autocast_mode.h>

namespace pn {

class AutocastGuard {
 public:
  // enabled = false: a no-op guard (keeps call sites free of branches).
  AutocastGuard(at::DeviceType device, bool enabled, at::ScalarType dtype)
      : device_(device), active_(enabled) {
    if (!active_) return;
    previousEnabled_ = at::autocast::is_autocast_enabled(device_);
    previousDtype_ = at::autocast::get_autocast_dtype(device_);
    at::autocast::set_autocast_enabled(device_, true);
    at::autocast::set_autocast_dtype(device_, dtype);
    at::autocast::increment_nesting();
  }
  ~AutocastGuard() {
    if (!active_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(device_, previousEnabled_);
    at::autocast::set_autocast_dtype(device_, previousDtype_);
  }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  at::DeviceType device_;
  bool active_;
  bool previousEnabled_ = false;
  at::ScalarType previousDtype_ = at::kBFloat16;
};

}  // namespace pn
