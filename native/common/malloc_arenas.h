// glibc's malloc gives each thread that allocates its own arena (up to 8 x cores). The tensor thread and
// libtorch's OpenMP team allocate and free the activations of every step across threads, so freed memory
// sits in arenas other threads do not reuse: the peak RSS of identical CPU runs varied by ~25% (LoRA step on
// the `small` config: 872-1090 MB with glibc's default, 809-879 MB with two arenas; BENCHMARKS.md).
#pragma once

namespace pn {

// Caps the arenas at PEFT_NATIVE_MALLOC_ARENAS (default 2; 0 leaves glibc's default). Called once when the
// addon loads, before the tensor thread and the OpenMP team exist. A no-op without glibc.
void LimitMallocArenas();

}  // namespace pn
