// The one native thread that runs every asynchronous tensor call of an addon instance, in order.
// Why one thread and not libuv's pool: libtorch's OpenMP team and glibc's malloc arena are per calling
// thread, so work hopping between pool threads started cold and kept memory it could not reuse
// (BENCHMARKS.md); one thread also keeps thread-local state (grad mode, CUDA stream) in one place.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace pn {

class TensorThread {
 public:
  TensorThread();
  // Lets the running job finish, drops queued ones, joins.
  ~TensorThread();
  TensorThread(const TensorThread&) = delete;
  TensorThread& operator=(const TensorThread&) = delete;

  void Post(std::function<void()> job);

 private:
  void Loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

}  // namespace pn
