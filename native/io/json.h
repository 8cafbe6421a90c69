// A small strict JSON reader/writer, enough for safetensors headers (objects, arrays, strings, numbers).
// libtorch exposes no JSON parser; this keeps the native side free of extra dependencies.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace pn::json {

struct Value {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  double number = 0;
  // Numbers keep their source text, so 64-bit offsets survive beyond 2^53.
  std::string text;
  std::vector<Value> array;
  // Insertion order is kept for objects; duplicate keys are rejected by the parser.
  std::vector<std::pair<std::string, Value>> object;

  const Value* Find(const std::string& key) const;
};

// Parses `input` completely; throws std::runtime_error("... at byte N") on malformed input.
Value Parse(const std::string& input);

// Reads a JSON number as a non-negative integer that fits in uint64; throws otherwise.
uint64_t ToUint64(const Value& v, const std::string& what);

// `s` made safe to show in a one-line message: printable ASCII and well-formed UTF-8 stay, '"' and '\' get a
// backslash, every other byte (controls, NUL, invalid UTF-8) becomes \xNN. With maxChars > 0, at most that many
// characters are shown, then "...".
std::string Printable(const std::string& s, size_t maxChars = 40);

// A JSON string literal (with quotes) for `s`.
std::string Quote(const std::string& s);

}  // namespace pn::json
