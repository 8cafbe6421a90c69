#include "io/json.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <unordered_set>

namespace pn::json {
namespace {

class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}

  Value ParseDocument() {
    Value v = ParseValue(0);
    SkipSpace();
    if (pos_ != s_.size()) Fail("trailing characters after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void Fail(const std::string& why) const {
    throw std::runtime_error("invalid JSON: " + why + " at byte " + std::to_string(pos_));
  }

  void SkipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t')) ++pos_;
  }

  char Peek() {
    SkipSpace();
    if (pos_ >= s_.size()) Fail("unexpected end of input");
    return s_[pos_];
  }

  void Expect(char c) {
    if (Peek() != c) Fail(std::string("expected '") + c + "'");
    ++pos_;
  }

  Value ParseValue(int depth) {
    if (depth > 64) Fail("nesting too deep");
    char c = Peek();
    if (c == '{') return ParseObject(depth);
    if (c == '[') return ParseArray(depth);
    if (c == '"') {
      Value v;
      v.kind = Value::Kind::String;
      v.text = ParseString();
      return v;
    }
    if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber();
    if (s_.compare(pos_, 4, "true") == 0) return Literal(4, Value::Kind::Bool, true);
    if (s_.compare(pos_, 5, "false") == 0) return Literal(5, Value::Kind::Bool, false);
    if (s_.compare(pos_, 4, "null") == 0) return Literal(4, Value::Kind::Null, false);
    Fail("unexpected character");
  }

  Value Literal(size_t len, Value::Kind kind, bool b) {
    pos_ += len;
    Value v;
    v.kind = kind;
    v.boolean = b;
    return v;
  }

  Value ParseObject(int depth) {
    Expect('{');
    Value v;
    v.kind = Value::Kind::Object;
    if (Peek() == '}') {
      ++pos_;
      return v;
    }
    // A set, not a scan of v.object: a header may hold many thousands of keys.
    std::unordered_set<std::string> seen;
    while (true) {
      if (Peek() != '"') Fail("expected a string key");
      std::string key = ParseString();
      if (!seen.insert(key).second) Fail("duplicate key \"" + Printable(key) + "\"");
      Expect(':');
      v.object.emplace_back(std::move(key), ParseValue(depth + 1));
      char c = Peek();
      ++pos_;
      if (c == '}') return v;
      if (c != ',') Fail("expected ',' or '}'");
    }
  }

  Value ParseArray(int depth) {
    Expect('[');
    Value v;
    v.kind = Value::Kind::Array;
    if (Peek() == ']') {
      ++pos_;
      return v;
    }
    while (true) {
      v.array.push_back(ParseValue(depth + 1));
      char c = Peek();
      ++pos_;
      if (c == ']') return v;
      if (c != ',') Fail("expected ',' or ']'");
    }
  }

  Value ParseNumber() {
    size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    auto digits = [&] {
      size_t d = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      if (pos_ == d) Fail("malformed number");
    };
    // JSON allows no leading zeros ("012"); the reference safetensors reader rejects them too.
    const size_t intStart = pos_;
    digits();
    if (s_[intStart] == '0' && pos_ - intStart > 1) {
      pos_ = intStart;
      Fail("malformed number (leading zero)");
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      digits();
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      digits();
    }
    Value v;
    v.kind = Value::Kind::Number;
    v.text = s_.substr(start, pos_ - start);
    v.number = std::strtod(v.text.c_str(), nullptr);
    return v;
  }

  static void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  uint32_t ParseHex4() {
    if (pos_ + 4 > s_.size()) Fail("truncated \\u escape");
    uint32_t cp = 0;
    for (int i = 0; i < 4; ++i) {
      char h = s_[pos_++];
      cp <<= 4;
      if (h >= '0' && h <= '9') cp |= static_cast<uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f') cp |= static_cast<uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') cp |= static_cast<uint32_t>(h - 'A' + 10);
      else Fail("bad \\u escape");
    }
    return cp;
  }

  std::string ParseString() {
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) Fail("unterminated string");
      char c = s_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) Fail("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) Fail("unterminated escape");
      char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = ParseHex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (pos_ + 2 > s_.size() || s_[pos_] != '\\' || s_[pos_ + 1] != 'u') Fail("unpaired surrogate");
            pos_ += 2;
            uint32_t lo = ParseHex4();
            if (lo < 0xDC00 || lo > 0xDFFF) Fail("unpaired surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          AppendUtf8(out, cp);
          break;
        }
        default: Fail("bad escape");
      }
    }
  }

  const std::string& s_;
  size_t pos_ = 0;
};

}  // namespace

const Value* Value::Find(const std::string& key) const {
  for (const auto& kv : object) {
    if (kv.first == key) return &kv.second;
  }
  return nullptr;
}

Value Parse(const std::string& input) { return Parser(input).ParseDocument(); }

uint64_t ToUint64(const Value& v, const std::string& what) {
  if (v.kind != Value::Kind::Number || v.text.empty() || v.text.size() > 20) {
    throw std::runtime_error(what + " must be a non-negative integer");
  }
  for (char c : v.text) {
    if (c < '0' || c > '9') throw std::runtime_error(what + " must be a non-negative integer");
  }
  errno = 0;
  char* end = nullptr;
  unsigned long long n = std::strtoull(v.text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') throw std::runtime_error(what + " is out of range");
  return static_cast<uint64_t>(n);
}

namespace {

// Length of the well-formed UTF-8 sequence of a printable code point at s[i], or 0 (invalid, C1 control,
// surrogate, or a line/paragraph separator, which would break a one-line message).
size_t PrintableUtf8Length(const std::string& s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = b(i);
  size_t len = 0;
  uint32_t cp = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2;
    cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3;
    cp = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4;
    cp = lead & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  const uint32_t minimum = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
  if (cp < minimum || cp > 0x10FFFF) return 0;                   // overlong or beyond Unicode
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;                    // surrogate
  if (cp <= 0x9F || cp == 0x2028 || cp == 0x2029) return 0;      // C1 control, line breaks
  return len;
}

}  // namespace

std::string Printable(const std::string& s, size_t maxChars) {
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < s.size();) {
    if (maxChars != 0 && chars == maxChars) return out + "...";
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F) {
      if (c == '"' || c == '\\') out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (size_t len = c >= 0x80 ? PrintableUtf8Length(s, i) : 0; len != 0) {
      out.append(s, i, len);
      i += len;
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
      ++i;
    }
    ++chars;
  }
  return out;
}

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          static const char* hex = "0123456789abcdef";
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace pn::json
