// A seeded mutation fuzzer for the native readers of user files: the safetensors header parser
// (io::ParseSafetensorsHeader, and io::SafetensorsFile::Open on a temporary file, as the addon opens them) and
// the JSON reader (json::Parse). libFuzzer needs clang; this driver needs only g++ and is built with
// AddressSanitizer + UndefinedBehaviorSanitizer by scripts/fuzz/build-native-fuzz.mjs.
//
//   pn_fuzz_io [--seed N] [--iterations N] [--seconds S] [--max-seed-bytes N] [--work DIR] [--quiet] SEED_PATH...
//   pn_fuzz_io [--work DIR] --replay PATH...   (runs files as they are, printing each outcome; folders go through Open only)
//
// SEED_PATHs are files or folders (searched recursively for *.safetensors and *.json); built-in edge cases are
// always added. Each round takes a corpus entry, stacks 1-4 mutations (bit flips, interesting bytes, range
// insert/delete/duplicate, truncation, header-length overwrites, JSON token splices, deep nesting, crossover,
// header-aware edits that keep the length prefix right) and runs the result through every entry point.
// Expected outcomes: success, or pn::UserError (safetensors) / std::runtime_error "invalid JSON: ..." (JSON)
// whose message is one printable line naming the file. Anything else (another exception type, a bad message, a
// broken invariant of an accepted input, a sanitizer report, a crash) is a failure: the input is saved under
// --work and the process exits non-zero. Inputs whose outcome is new (a new message shape, or accepted) join
// the corpus, a crude stand-in for coverage feedback.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <typeinfo>
#include <vector>

#include "common/errors.h"
#include "io/json.h"
#include "io/safetensors.h"

namespace fs = std::filesystem;
using pn::io::SafetensorsFile;
using pn::io::SafetensorsHeader;
using pn::json::Value;

namespace {

// splitmix64: small, seedable, the same sequence on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform-enough in [0, n); n > 0.
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  bool OneIn(size_t n) { return Below(n) == 0; }

 private:
  uint64_t state_;
};

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

constexpr uint8_t kInterestingBytes[] = {0x00, 0x01, 0x07, 0x08, 0x0a, 0x1f, 0x20, 0x22, 0x2c, 0x2d, 0x2e, 0x30, 0x31,
                                         0x39, 0x3a, 0x45, 0x5b, 0x5c, 0x5d, 0x65, 0x75, 0x7b, 0x7d, 0x7f, 0x80, 0xc0,
                                         0xc2, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xfe, 0xff};

const char* const kTokens[] = {
    "{", "}", "[", "]", ",", ":", "\"", "\\", " ", "\n", "\t", "null", "true", "false", "nul", "tru",
    "0", "-0", "00", "01", "1", "-1", "0.5", "1e400", "-1e-400", "1E+2", "1.", ".5", "-", "+1", "NaN", "Infinity",
    "4294967296", "9007199254740993", "9223372036854775807", "9223372036854775808", "18446744073709551615",
    "18446744073709551616", "99999999999999999999", "100000000000000000000",
    "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\"", "\"F32\"", "\"F16\"", "\"BF16\"", "\"F64\"",
    "\"I64\"", "\"I32\"", "\"I16\"", "\"I8\"", "\"U8\"", "\"BOOL\"", "\"F8_E4M3\"", "\"\"", "\"a\"",
    "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\udc00\"", "\"\\ud83d\\ude00\"", "\"\\u00e9\"", "\"\\u2028\"",
    "\"\\x\"", "\"\\u12\"", "\"\xc3\xa9\"", "\"\xed\xa0\x80\"", "\"\xc0\xaf\"", "\"\xff\"",
    "[0,0]", "[0, 4]", "[]", "{}", "[[]]", "{\"a\":{}}", "\"data_offsets\":[0,0]", "\"shape\":[]",
    "\"shape\":[0,9223372036854775809]", "\"shape\":[4611686018427387904,4,0]", "\"shape\":[18446744073709551615]",
};

const uint64_t kInterestingNumbers[] = {0, 1, 2, 3, 4, 7, 8, 16, 255, 256, 65535, 65536, 100'000'000, 100'000'001,
                                        (1ULL << 31), (1ULL << 32), (1ULL << 53) + 1, (1ULL << 62), (1ULL << 63) - 1,
                                        (1ULL << 63), (1ULL << 63) + 1, UINT64_MAX - 1, UINT64_MAX};

uint64_t ReadLength(const std::string& s) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(s[static_cast<size_t>(i)]);
  return n;
}

void WriteLength(std::string& s, uint64_t n) {
  for (size_t i = 0; i < 8; ++i) s[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
}

// A header length that fits the input: it looks like a safetensors file whose header we can edit.
bool HasHeader(const std::string& s) { return s.size() >= 8 && ReadLength(s) <= s.size() - 8; }

// Byte-level and JSON-level mutations of a string (a JSON text, or a whole safetensors file).
class Mutator {
 public:
  Mutator(Rng& rng, const std::vector<std::string>& corpus) : rng_(rng), corpus_(corpus) {}

  void Mutate(std::string& s) {
    const size_t rounds = 1 + rng_.Below(4);
    for (size_t r = 0; r < rounds; ++r) {
      // Header-aware edits keep the length prefix right, so edits of the JSON reach the checks behind it.
      if (HasHeader(s) && rng_.Below(3) != 0) {
        const uint64_t len = ReadLength(s);
        std::string header = s.substr(8, len);
        std::string data = s.substr(8 + len);
        const size_t pick = rng_.Below(8);
        if (pick == 0) {
          MutateBytes(data);
        } else if (pick == 1) {
          InsertTensor(header);
        } else {
          MutateJson(header);
        }
        s = std::string(8, '\0') + header + data;
        WriteLength(s, header.size());
        continue;
      }
      if (rng_.OneIn(2)) {
        MutateBytes(s);
      } else {
        MutateJson(s);
      }
    }
    if (s.size() > kMaxInput) s.resize(kMaxInput);
  }

 private:
  static constexpr size_t kMaxInput = 1 << 20;

  size_t Pos(const std::string& s) { return rng_.Below(s.size() + 1); }

  void MutateBytes(std::string& s) {
    switch (rng_.Below(9)) {
      case 0:  // bit flip
        if (!s.empty()) s[rng_.Below(s.size())] ^= static_cast<char>(1u << rng_.Below(8));
        break;
      case 1:  // an interesting byte
        if (!s.empty()) s[rng_.Below(s.size())] = static_cast<char>(kInterestingBytes[rng_.Below(sizeof kInterestingBytes)]);
        break;
      case 2: {  // insert random bytes
        std::string bytes(1 + rng_.Below(16), '\0');
        for (char& c : bytes) c = static_cast<char>(rng_.Next() & 0xFF);
        s.insert(Pos(s), bytes);
        break;
      }
      case 3:  // delete a range
        if (!s.empty()) {
          size_t at = rng_.Below(s.size());
          s.erase(at, 1 + rng_.Below(std::min<size_t>(s.size() - at, 64)));
        }
        break;
      case 4:  // duplicate a range
        if (!s.empty()) {
          size_t at = rng_.Below(s.size());
          std::string piece = s.substr(at, 1 + rng_.Below(std::min<size_t>(s.size() - at, 128)));
          s.insert(Pos(s), piece);
        }
        break;
      case 5:  // truncate
        s.resize(rng_.OneIn(4) ? rng_.Below(16) : Pos(s));
        break;
      case 6: {  // overwrite the 8-byte header length
        if (s.size() < 8) s.resize(8, '\0');
        const uint64_t size = s.size();
        const uint64_t picks[] = {0, 1, 2, size - 8, size - 9, size - 7, size, size + 1, size - 1,
                                  kInterestingNumbers[rng_.Below(std::size(kInterestingNumbers))]};
        WriteLength(s, picks[rng_.Below(std::size(picks))]);
        break;
      }
      case 7:  // splice another corpus entry in
        if (!corpus_.empty()) {
          const std::string& other = corpus_[rng_.Below(corpus_.size())];
          if (!other.empty()) {
            size_t from = rng_.Below(other.size());
            s.insert(Pos(s), other.substr(from, 1 + rng_.Below(std::min<size_t>(other.size() - from, 256))));
          }
        }
        break;
      default:  // overwrite a random 1, 2, 4 or 8 byte little-endian field with an interesting number
        if (!s.empty()) {
          size_t width = size_t{1} << rng_.Below(4);
          size_t at = rng_.Below(s.size());
          uint64_t v = kInterestingNumbers[rng_.Below(std::size(kInterestingNumbers))];
          for (size_t i = 0; i < width && at + i < s.size(); ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
        }
        break;
    }
  }

  // Spans of number tokens and string literals, found by a rough scan (good enough to aim edits).
  std::vector<std::pair<size_t, size_t>> Tokens(const std::string& s, bool numbers) {
    std::vector<std::pair<size_t, size_t>> out;
    for (size_t i = 0; i < s.size();) {
      if (!numbers && s[i] == '"') {
        size_t j = i + 1;
        while (j < s.size() && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
        if (j >= s.size()) break;
        out.emplace_back(i, j + 1 - i);
        i = j + 1;
      } else if (numbers && ((s[i] >= '0' && s[i] <= '9') || s[i] == '-')) {
        size_t j = i + 1;
        while (j < s.size() && ((s[j] >= '0' && s[j] <= '9') || s[j] == '.' || s[j] == 'e' || s[j] == 'E' || s[j] == '+' || s[j] == '-')) ++j;
        out.emplace_back(i, j - i);
        i = j;
      } else {
        ++i;
      }
    }
    return out;
  }

  std::string RandomToken() { return kTokens[rng_.Below(std::size(kTokens))]; }

  // Adds an entry {"dtype", "shape", "data_offsets": [0, 0]} at the front of the header object. Mostly the shape
  // holds a 0 (so the empty tensor still tiles the data section) beside huge or ordinary dimensions: the size
  // checks between "parses" and "torch can make this tensor" are where such headers go wrong.
  void InsertTensor(std::string& header) {
    const size_t brace = header.find('{');
    if (brace == std::string::npos) return;
    static const char* const kDtypeNames[] = {"F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL"};
    std::string shape = "[";
    const size_t rank = rng_.Below(5);
    const size_t zeroAt = rng_.OneIn(4) ? rank : rng_.Below(rank + 1);  // rank: no zero
    for (size_t i = 0; i < rank; ++i) {
      uint64_t dim = i == zeroAt ? 0 : rng_.OneIn(2) ? kInterestingNumbers[rng_.Below(std::size(kInterestingNumbers))] : rng_.Below(4);
      shape += (i ? "," : "") + std::to_string(dim);
    }
    shape += "]";
    const std::string entry = "\"t" + std::to_string(rng_.Below(1000)) + "\":{\"dtype\":\"" + kDtypeNames[rng_.Below(std::size(kDtypeNames))] +
                              "\",\"shape\":" + shape + ",\"data_offsets\":[0,0]}";
    const bool empty = header.find_first_not_of(" \t\r\n", brace + 1) == header.find('}', brace + 1);
    header.insert(brace + 1, empty ? entry : entry + ",");
  }

  void MutateJson(std::string& s) {
    switch (rng_.Below(8)) {
      case 0:  // insert a token
        s.insert(Pos(s), RandomToken());
        break;
      case 1: {  // replace a number by an interesting one (or a token)
        auto spans = Tokens(s, true);
        if (spans.empty()) break;
        auto [at, len] = spans[rng_.Below(spans.size())];
        std::string with = rng_.OneIn(3) ? RandomToken() : std::to_string(kInterestingNumbers[rng_.Below(std::size(kInterestingNumbers))]);
        if (rng_.OneIn(8)) with = "-" + with;
        s.replace(at, len, with);
        break;
      }
      case 2: {  // replace a string literal by a token, or by another literal of the same input
        auto spans = Tokens(s, false);
        if (spans.empty()) break;
        auto [at, len] = spans[rng_.Below(spans.size())];
        if (rng_.OneIn(2)) {
          s.replace(at, len, RandomToken());
        } else {
          auto [at2, len2] = spans[rng_.Below(spans.size())];
          std::string other = s.substr(at2, len2);
          s.replace(at, len, other);
        }
        break;
      }
      case 3: {  // deep nesting, balanced or not
        size_t depth = 1 + rng_.Below(rng_.OneIn(4) ? 5000 : 80);
        bool object = rng_.OneIn(2);
        std::string open, close;
        for (size_t i = 0; i < depth; ++i) {
          open += object ? "{\"k\":" : "[";
          close += object ? "}" : "]";
        }
        std::string inner = rng_.OneIn(2) ? "0" : RandomToken();
        std::string nested = open + inner + (rng_.OneIn(5) ? close.substr(1) : close);
        if (rng_.OneIn(3)) {
          s = nested;
        } else {
          s.insert(Pos(s), nested);
        }
        break;
      }
      case 4: {  // swap two tokens' spans (strings or numbers)
        auto spans = Tokens(s, rng_.OneIn(2));
        if (spans.size() < 2) break;
        auto a = spans[rng_.Below(spans.size())];
        auto b = spans[rng_.Below(spans.size())];
        if (a.first > b.first) std::swap(a, b);
        if (a.first + a.second > b.first) break;
        std::string ta = s.substr(a.first, a.second), tb = s.substr(b.first, b.second);
        s.replace(b.first, b.second, ta);
        s.replace(a.first, a.second, tb);
        break;
      }
      case 5: {  // delete from one structural character to another
        if (s.empty()) break;
        size_t a = rng_.Below(s.size());
        size_t b = s.find_first_of(",:]}", a);
        if (b != std::string::npos) s.erase(a, b - a + (rng_.OneIn(2) ? 1 : 0));
        break;
      }
      case 6: {  // duplicate a member or element: copy from one ',' to the next
        size_t a = s.find(',', Pos(s));
        if (a == std::string::npos) break;
        size_t b = s.find(',', a + 1);
        if (b == std::string::npos) break;
        s.insert(b, s.substr(a, b - a));
        break;
      }
      default:  // a byte-level mutation inside the JSON
        MutateBytes(s);
        break;
    }
  }

  Rng& rng_;
  const std::vector<std::string>& corpus_;
};

// ---- checks ---------------------------------------------------------------------------------------------

bool ValidUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

// A message fit for one line of a terminal: no control bytes at all (NUL, newline, ESC, DEL), valid UTF-8.
void CheckMessage(const std::string& message, const std::string& where) {
  if (message.empty()) throw Failure(where + ": empty error message");
  for (unsigned char c : message) {
    if (c < 0x20 || c == 0x7F) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", c);
      throw Failure(where + ": error message holds the raw byte " + hex + ": " + pn::json::Printable(message, 0));
    }
  }
  if (!ValidUtf8(message)) throw Failure(where + ": error message is not valid UTF-8: " + pn::json::Printable(message, 0));
}

std::string Serialize(const Value& v) {
  switch (v.kind) {
    case Value::Kind::Null: return "null";
    case Value::Kind::Bool: return v.boolean ? "true" : "false";
    case Value::Kind::Number: return v.text;
    case Value::Kind::String: return pn::json::Quote(v.text);
    case Value::Kind::Array: {
      std::string out = "[";
      for (size_t i = 0; i < v.array.size(); ++i) out += (i ? "," : "") + Serialize(v.array[i]);
      return out + "]";
    }
    case Value::Kind::Object: {
      std::string out = "{";
      for (size_t i = 0; i < v.object.size(); ++i) {
        out += (i ? "," : "") + pn::json::Quote(v.object[i].first) + ":" + Serialize(v.object[i].second);
      }
      return out + "}";
    }
  }
  return "";
}

bool SameValue(const Value& a, const Value& b) {
  if (a.kind != b.kind || a.boolean != b.boolean || a.text != b.text) return false;
  if (a.array.size() != b.array.size() || a.object.size() != b.object.size()) return false;
  for (size_t i = 0; i < a.array.size(); ++i) {
    if (!SameValue(a.array[i], b.array[i])) return false;
  }
  for (size_t i = 0; i < a.object.size(); ++i) {
    if (a.object[i].first != b.object[i].first || !SameValue(a.object[i].second, b.object[i].second)) return false;
  }
  return true;
}

// The shape of a message: digits and quoted names dropped, so "tensor \"a\": ... 16" and "tensor \"b\": ... 8"
// count as one outcome.
std::string MessageShape(const std::string& message, const std::string& path) {
  std::string m = message;
  if (!path.empty()) {
    for (size_t at; (at = m.find(path)) != std::string::npos;) m.erase(at, path.size());
  }
  std::string out;
  bool quoted = false;
  for (size_t i = 0; i < m.size(); ++i) {
    char c = m[i];
    if (c == '\\' && i + 1 < m.size()) {
      ++i;
      continue;
    }
    if (c == '"') {
      quoted = !quoted;
      out += c;
      continue;
    }
    if (quoted || (c >= '0' && c <= '9')) continue;
    out += c;
  }
  return out;
}

struct Stats {
  uint64_t inputs = 0;
  uint64_t stRejected = 0, stAccepted = 0, stTensors = 0;
  uint64_t jsonRejected = 0, jsonAccepted = 0;
  uint64_t fileOpens = 0;
};

enum class Outcome { Rejected, Accepted };

struct Result {
  Outcome outcome;
  std::string message;  // the error message when rejected
};

// json::Parse: success (then the value must survive a serialize -> parse round trip) or "invalid JSON: ...".
Result RunJson(const std::string& input) {
  Value v;
  try {
    v = pn::json::Parse(input);
  } catch (const pn::UserError& e) {
    throw Failure(std::string("json::Parse threw a UserError (expected std::runtime_error): ") + e.what());
  } catch (const std::runtime_error& e) {
    if (typeid(e) != typeid(std::runtime_error)) {
      throw Failure(std::string("json::Parse threw ") + typeid(e).name() + ": " + pn::json::Printable(e.what(), 0));
    }
    std::string message = e.what();
    if (message.rfind("invalid JSON: ", 0) != 0) throw Failure("json::Parse message does not start with 'invalid JSON: ': " + pn::json::Printable(message, 0));
    CheckMessage(message, "json::Parse");
    return {Outcome::Rejected, message};
  }
  std::string again = Serialize(v);
  Value w;
  try {
    w = pn::json::Parse(again);
  } catch (const std::exception& e) {
    throw Failure(std::string("json round trip: the serialized value does not parse: ") + e.what());
  }
  if (!SameValue(v, w)) throw Failure("json round trip: the value changed");
  return {Outcome::Accepted, ""};
}

// Invariants of an accepted header: offsets inside the data section, byte counts = dtype x shape, exact tiling,
// shapes representable as torch sizes.
void CheckHeader(const SafetensorsHeader& h, uint64_t size) {
  if (h.dataStart < 8 || h.dataStart > size) throw Failure("accepted header: data section starts outside the file");
  const uint64_t dataSize = size - h.dataStart;
  std::vector<std::pair<uint64_t, uint64_t>> spans;
  for (const auto& t : h.tensors) {
    if (t.begin > t.end || t.end > dataSize) throw Failure("accepted header: tensor \"" + pn::json::Printable(t.name) + "\" lies outside the data section");
    unsigned __int128 bytes = c10::elementSize(pn::io::DtypeFromName(t.dtype));
    for (int64_t d : t.shape) {
      if (d < 0) throw Failure("accepted header: tensor \"" + pn::json::Printable(t.name) + "\" has a negative torch size");
      bytes *= static_cast<uint64_t>(d);
    }
    if (bytes != t.end - t.begin) throw Failure("accepted header: tensor \"" + pn::json::Printable(t.name) + "\" byte count does not match dtype x shape");
    spans.emplace_back(t.begin, t.end);
  }
  std::sort(spans.begin(), spans.end());
  uint64_t cursor = 0;
  for (const auto& [b, e] : spans) {
    if (b != cursor) throw Failure("accepted header: tensors do not tile the data section");
    cursor = e;
  }
  if (cursor != dataSize) throw Failure("accepted header: bytes at the end of the data section are not covered");
}

// ParseSafetensorsHeader on the bytes: success (invariants hold) or a UserError with a good message.
Result RunSafetensorsBytes(const std::string& input, const std::string& path, Stats& stats) {
  SafetensorsHeader h;
  try {
    h = pn::io::ParseSafetensorsHeader(reinterpret_cast<const uint8_t*>(input.data()), input.size(), path);
  } catch (const pn::UserError& e) {
    std::string message = e.what();
    CheckMessage(message, "ParseSafetensorsHeader");
    if (message.find(path) == std::string::npos) throw Failure("ParseSafetensorsHeader: the message does not name the file: " + message);
    return {Outcome::Rejected, message};
  } catch (const std::exception& e) {
    throw Failure(std::string("ParseSafetensorsHeader threw ") + typeid(e).name() + " (expected pn::UserError): " +
                  pn::json::Printable(pn::DescribeException(e), 0));
  }
  CheckHeader(h, input.size());
  stats.stTensors += h.tensors.size();
  return {Outcome::Accepted, ""};
}

// SafetensorsFile::Open on the input written to `path`: the same outcome as the bytes; accepted tensors must
// View as CPU tensors whose bytes all lie inside the mapping (read here, so a bad view crashes).
void RunSafetensorsFile(const std::string& input, const std::string& path, const Result& fromBytes) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(input.data(), static_cast<std::streamsize>(input.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
  }
  std::shared_ptr<SafetensorsFile> file;
  try {
    file = SafetensorsFile::Open(path);
  } catch (const pn::UserError& e) {
    if (fromBytes.outcome != Outcome::Rejected || fromBytes.message != e.what()) {
      throw Failure("SafetensorsFile::Open disagrees with ParseSafetensorsHeader: " + std::string(e.what()) + " vs " +
                    (fromBytes.outcome == Outcome::Accepted ? "accepted" : fromBytes.message));
    }
    return;
  } catch (const std::exception& e) {
    throw Failure(std::string("SafetensorsFile::Open threw ") + typeid(e).name() + " (expected pn::UserError): " +
                  pn::json::Printable(pn::DescribeException(e), 0));
  }
  if (fromBytes.outcome != Outcome::Accepted) throw Failure("SafetensorsFile::Open accepted what ParseSafetensorsHeader rejected: " + fromBytes.message);
  for (const auto& entry : file->tensors()) {
    torch::Tensor t;
    try {
      t = file->View(entry.name);
    } catch (const std::exception& e) {
      throw Failure("View(\"" + pn::json::Printable(entry.name) + "\") of an accepted file threw: " + pn::json::Printable(pn::DescribeException(e), 0));
    }
    const uint64_t nbytes = static_cast<uint64_t>(t.numel()) * t.element_size();
    if (nbytes != entry.end - entry.begin) throw Failure("View(\"" + pn::json::Printable(entry.name) + "\"): tensor size does not match its data_offsets");
    if (t.dim() != static_cast<int64_t>(entry.shape.size())) throw Failure("View: wrong number of dimensions");
    const auto* p = static_cast<const uint8_t*>(t.data_ptr());
    uint8_t sum = 0;
    for (uint64_t i = 0; i < nbytes; ++i) sum = static_cast<uint8_t>(sum + p[i]);
    volatile uint8_t sink = sum;
    (void)sink;
  }
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A small safetensors file from a header JSON and `dataBytes` bytes of data.
std::string MakeSafetensors(const std::string& header, size_t dataBytes) {
  std::string s(8, '\0');
  WriteLength(s, header.size());
  return s + header + std::string(dataBytes, '\x01');
}

std::vector<std::string> BuiltinSeeds() {
  return {
      MakeSafetensors("{}", 0),
      MakeSafetensors("{\"__metadata__\":{\"format\":\"pt\"}}", 0),
      MakeSafetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", 16),
      MakeSafetensors("{\"e\":{\"dtype\":\"BF16\",\"shape\":[0,3],\"data_offsets\":[0,0]},\"b\":{\"dtype\":\"BOOL\",\"shape\":[3],"
                      "\"data_offsets\":[0,3]},\"c\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[3,11]}}       ",
                      11),
      MakeSafetensors("{\"__metadata__\":{\"k\":\"v\\u00e9\\n\"},\"\\u0000x\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                      "\"y\":{\"dtype\":\"I8\",\"shape\":[1,1],\"data_offsets\":[1,2]},\"z\":{\"dtype\":\"F64\",\"shape\":[1],"
                      "\"data_offsets\":[2,10]},\"w\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[10,14]},"
                      "\"v\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[14,18]},\"u\":{\"dtype\":\"I16\",\"shape\":[1],"
                      "\"data_offsets\":[18,20]}}",
                      20),
      "{\"a\": [1, -2.5e3, true, false, null, \"s\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\ud83d\\ude00\"], \"b\": {}}",
      "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
      "  \"just a string\"  ",
      "18446744073709551615",
  };
}

bool SeedFile(const fs::path& p, uintmax_t maxBytes) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return false;
  const std::string ext = p.extension().string();
  if (ext != ".safetensors" && ext != ".json") return false;
  return fs::file_size(p, ec) <= maxBytes;
}

// Runs given files through every entry point without mutating them, printing each outcome; a folder (or
// anything not a regular file) only goes through SafetensorsFile::Open, which must refuse it in one line.
int Replay(const std::vector<std::string>& paths, const std::string& inputPath) {
  Stats stats;
  for (const auto& p : paths) {
    std::printf("%s\n", p.c_str());
    try {
      std::string opened;
      try {
        auto file = SafetensorsFile::Open(p);
        opened = "accepted (" + std::to_string(file->tensors().size()) + " tensors)";
      } catch (const pn::UserError& e) {
        CheckMessage(e.what(), "SafetensorsFile::Open");
        if (std::string(e.what()).find(p) == std::string::npos) throw Failure(std::string("SafetensorsFile::Open: the message does not name the file: ") + e.what());
        opened = e.what();
      } catch (const std::exception& e) {
        throw Failure(std::string("SafetensorsFile::Open threw ") + typeid(e).name() + ": " + pn::json::Printable(pn::DescribeException(e), 0));
      }
      std::printf("  open: %s\n", opened.c_str());
      std::error_code ec;
      if (!fs::is_regular_file(p, ec)) continue;
      const std::string input = ReadFile(p);
      Result json = RunJson(input);
      Result st = RunSafetensorsBytes(input, inputPath, stats);
      RunSafetensorsFile(input, inputPath, st);
      std::printf("  safetensors: %s\n  json: %s\n", st.outcome == Outcome::Accepted ? "accepted" : st.message.c_str(),
                  json.outcome == Outcome::Accepted ? "accepted" : json.message.c_str());
    } catch (const Failure& f) {
      std::cerr << "pn_fuzz_io: FAILURE replaying " << p << ": " << f.what() << "\n";
      return 1;
    }
  }
  std::error_code ec;
  fs::remove(inputPath, ec);
  return 0;
}

void Usage() {
  std::cerr << "usage: pn_fuzz_io [--seed N] [--iterations N] [--seconds S] [--max-seed-bytes N] [--work DIR] [--quiet] SEED_PATH...\n"
               "       pn_fuzz_io [--work DIR] --replay FILE...\n";
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seed = 1;
  uint64_t iterations = 0;
  double seconds = 0;
  uintmax_t maxSeedBytes = 64 * 1024;
  std::string work;
  bool quiet = false, replay = false;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        Usage();
        std::exit(2);
      }
      return argv[++i];
    };
    try {
      if (a == "--seed") seed = std::stoull(value());
      else if (a == "--iterations") iterations = std::stoull(value());
      else if (a == "--seconds") seconds = std::stod(value());
      else if (a == "--max-seed-bytes") maxSeedBytes = std::stoull(value());
      else if (a == "--work") work = value();
      else if (a == "--quiet") quiet = true;
      else if (a == "--replay") replay = true;
      else if (a == "--help" || a == "-h") {
        Usage();
        return 0;
      } else if (a.rfind("--", 0) == 0) {
        Usage();
        return 2;
      } else {
        paths.push_back(a);
      }
    } catch (const std::exception&) {
      std::cerr << "pn_fuzz_io: bad value for " << a << "\n";
      return 2;
    }
  }
  if (!replay && iterations == 0 && seconds <= 0) iterations = 10000;
  if (work.empty()) work = (fs::temp_directory_path() / ("pn-fuzz-io-" + std::to_string(::getpid()))).string();
  fs::create_directories(work);
  // A plain ASCII path: every safetensors message must name it.
  const std::string inputPath = (fs::path(work) / "input.safetensors").string();

  if (replay) return Replay(paths, inputPath);

  std::vector<std::string> corpus = BuiltinSeeds();
  const size_t builtin = corpus.size();
  {
    for (const auto& p : paths) {
      std::error_code ec;
      if (fs::is_directory(p, ec)) {
        std::vector<fs::path> found;
        for (const auto& e : fs::recursive_directory_iterator(p, ec)) {
          if (SeedFile(e.path(), maxSeedBytes)) found.push_back(e.path());
        }
        std::sort(found.begin(), found.end());  // directory order varies; the run must not
        for (const auto& f : found) corpus.push_back(ReadFile(f));
      } else if (SeedFile(p, UINTMAX_MAX)) {
        corpus.push_back(ReadFile(p));
      } else {
        std::cerr << "pn_fuzz_io: " << p << " is neither a folder nor a .safetensors / .json file\n";
        return 2;
      }
    }
  }
  const size_t seeds = corpus.size();
  constexpr size_t kMaxCorpus = 4000;

  Rng rng(seed);
  Mutator mutator(rng, corpus);
  Stats stats;
  std::set<std::string> shapes;  // outcomes seen: message shapes, "accepted"
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };

  std::string input;
  uint64_t round = 0;
  try {
    while (true) {
      if (iterations != 0 && round >= iterations) break;
      if (seconds > 0 && (round & 63) == 0 && elapsed() >= seconds) break;
      // Seeds stay in play: the first rounds run each one unmutated, later ones favour the original seeds.
      if (round < seeds) {
        input = corpus[round];
      } else {
        // The built-in seeds are small and cover every dtype and edge layout: a quarter of the rounds start there.
        const size_t pick = rng.Below(4);
        input = corpus[pick == 0 ? rng.Below(builtin) : pick == 1 ? rng.Below(seeds) : rng.Below(corpus.size())];
        mutator.Mutate(input);
      }
      ++round;
      ++stats.inputs;

      Result json = RunJson(input);
      (json.outcome == Outcome::Accepted ? stats.jsonAccepted : stats.jsonRejected)++;
      Result st = RunSafetensorsBytes(input, inputPath, stats);
      (st.outcome == Outcome::Accepted ? stats.stAccepted : stats.stRejected)++;
      RunSafetensorsFile(input, inputPath, st);
      ++stats.fileOpens;

      const std::string shapeKey = st.outcome == Outcome::Accepted ? std::string("accepted") : MessageShape(st.message, inputPath);
      const std::string jsonKey = "json: " + (json.outcome == Outcome::Accepted ? std::string("accepted") : MessageShape(json.message, ""));
      const bool newShape = shapes.insert(shapeKey).second;
      const bool newJson = shapes.insert(jsonKey).second;
      if ((newShape || newJson || (st.outcome == Outcome::Accepted && rng.OneIn(8))) && corpus.size() < kMaxCorpus) {
        corpus.push_back(input);
      }
    }
  } catch (const Failure& f) {
    const std::string saved = (fs::path(work) / ("failure-seed" + std::to_string(seed) + "-round" + std::to_string(round) + ".bin")).string();
    std::ofstream(saved, std::ios::binary).write(input.data(), static_cast<std::streamsize>(input.size()));
    std::cerr << "pn_fuzz_io: FAILURE at round " << round << " (seed " << seed << "): " << f.what() << "\n"
              << "pn_fuzz_io: input saved to " << saved << " (reproduce: pn_fuzz_io --replay " << saved << ")\n";
    return 1;
  }

  std::error_code ec;
  fs::remove(inputPath, ec);
  std::printf(
      "pn_fuzz_io: seed %llu, %llu inputs in %.1f s (%zu seeds, %zu built in, corpus %zu): safetensors %llu rejected, %llu "
      "accepted (%llu tensors viewed from %llu files); json %llu rejected, %llu accepted; %zu distinct outcomes\n",
      static_cast<unsigned long long>(seed), static_cast<unsigned long long>(stats.inputs), elapsed(), seeds, builtin,
      corpus.size(), static_cast<unsigned long long>(stats.stRejected), static_cast<unsigned long long>(stats.stAccepted),
      static_cast<unsigned long long>(stats.stTensors), static_cast<unsigned long long>(stats.fileOpens),
      static_cast<unsigned long long>(stats.jsonRejected), static_cast<unsigned long long>(stats.jsonAccepted), shapes.size());
  if (!quiet) {
    for (const auto& s : shapes) std::printf("  outcome: %s\n", s.c_str());
  }
  return 0;
}
