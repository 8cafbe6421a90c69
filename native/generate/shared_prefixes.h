// Prompts that begin with the same tokens (the task definition before each SuperNI instance's input, a few-shot
// header, a system prompt) need the keys/values of that beginning computed once: continuous batching prefills
// a group's shared prefix once and each member's remaining tokens on top of a copy of it (vLLM's and SGLang's
// prefix caching, here planned over the whole queue since every prompt is known up front).
#pragma once

#include <cstdint>
#include <vector>

namespace pn {

struct SharedPrefixes {
  std::vector<int64_t> groupOf;      // per prompt: its group, or -1 when it shares nothing worth reusing
  std::vector<int64_t> groupLength;  // per group: the tokens every member begins with (less than each member's length)
  std::vector<int64_t> groupSize;    // per group: its members (at least 2)
};

// Groups the prompts so that the prompt tokens not computed again, sum over groups of (members - 1) x shared
// length, is largest, among groups that are runs of the prompts in token order sharing at least `minTokens`
// tokens (a group of more than kMaxGroupMembers is split; `minTokens` <= 0: no groups). Every member keeps at
// least its last token to compute, which gives its first new token's logits.
SharedPrefixes FindSharedPrefixes(const std::vector<std::vector<int64_t>>& prompts, int64_t minTokens);

// Bounds the planning's cost (members x prompts) where thousands of prompts begin alike.
constexpr int64_t kMaxGroupMembers = 4096;

}  // namespace pn
