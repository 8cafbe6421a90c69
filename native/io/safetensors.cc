#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/errors.h"
#include "io/json.h"

namespace pn::io {

class MappedFile {
 public:
  explicit MappedFile(const std::string& path) {
    const std::string shown = json::Printable(path, 0);
    // O_NONBLOCK: opening a FIFO must not hang; it is refused below as not a regular file.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) throw UserError(shown + ": cannot open (" + std::strerror(errno) + ")");
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      throw UserError(shown + ": cannot stat (" + std::strerror(err) + ")");
    }
    if (S_ISDIR(st.st_mode)) {
      ::close(fd);
      throw UserError(shown + " is a directory, not a safetensors file");
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      throw UserError(shown + " is not a regular file (a device, pipe or socket), not a safetensors file");
    }
    size_ = static_cast<uint64_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        int err = errno;
        ::close(fd);
        throw UserError(shown + ": cannot memory-map (" + std::strerror(err) + ")");
      }
      data_ = static_cast<const uint8_t*>(p);
    }
    ::close(fd);  // the mapping stays valid without the descriptor
  }
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }

 private:
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

namespace {

struct DtypeInfo {
  const char* name;
  torch::ScalarType type;
  uint64_t bytes;
};

constexpr DtypeInfo kDtypes[] = {
    {"F32", torch::kFloat32, 4}, {"F16", torch::kFloat16, 2}, {"BF16", torch::kBFloat16, 2}, {"F64", torch::kFloat64, 8},
    {"I64", torch::kInt64, 8},   {"I32", torch::kInt32, 4},   {"I16", torch::kInt16, 2},     {"I8", torch::kInt8, 1},
    {"U8", torch::kUInt8, 1},    {"BOOL", torch::kBool, 1},
};

const DtypeInfo* FindDtype(const std::string& name) {
  for (const auto& d : kDtypes) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

// The header limit of the reference implementation (100 MB) guards against absurd allocations.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

}  // namespace

torch::ScalarType DtypeFromName(const std::string& name) {
  const DtypeInfo* d = FindDtype(name);
  if (d == nullptr) throw UserError("unsupported safetensors dtype " + json::Printable(name));
  return d->type;
}

std::string DtypeName(torch::ScalarType type) {
  for (const auto& d : kDtypes) {
    if (d.type == type) return d.name;
  }
  throw UserError(std::string("cannot store dtype ") + c10::toString(type) + " in safetensors");
}

namespace {

// "[2, 3]" with every dimension printed unsigned, as the file spells it.
std::string ShapeText(const std::vector<uint64_t>& dims) {
  std::string out = "[";
  for (size_t i = 0; i < dims.size(); ++i) out += (i ? ", " : "") + std::to_string(dims[i]);
  return out + "]";
}

}  // namespace

SafetensorsHeader ParseSafetensorsHeader(const uint8_t* bytes, uint64_t size, const std::string& path) {
  // Every name, dtype and key below comes from the file: shown through json::Printable, never as raw bytes.
  const std::string shownPath = json::Printable(path, 0);
  auto fail = [&](const std::string& why) -> UserError {
    return UserError(shownPath + ": not a valid safetensors file: " + why);
  };

  if (size < 8) throw fail("shorter than the 8-byte header length (" + std::to_string(size) + " bytes; truncated?)");
  uint64_t headerLen = 0;
  for (int i = 7; i >= 0; --i) headerLen = (headerLen << 8) | bytes[i];
  if (headerLen > kMaxHeaderBytes) {
    throw fail("header length " + std::to_string(headerLen) + " is implausibly large (over " + std::to_string(kMaxHeaderBytes) +
               " bytes; not a safetensors file?)");
  }
  if (headerLen > size - 8) {
    throw fail("header length " + std::to_string(headerLen) + " runs past the end of the file (" + std::to_string(size) +
               " bytes; truncated?)");
  }
  std::string header(reinterpret_cast<const char*>(bytes + 8), headerLen);
  json::Value root;
  try {
    root = json::Parse(header);
  } catch (const std::exception& e) {
    throw fail(std::string("header: ") + e.what());
  }
  if (root.kind != json::Value::Kind::Object) throw fail("header is not a JSON object");

  SafetensorsHeader out;
  out.dataStart = 8 + headerLen;
  const uint64_t dataSize = size - out.dataStart;
  for (const auto& [name, entry] : root.object) {
    if (name == "__metadata__") {
      if (entry.kind != json::Value::Kind::Object) throw fail("__metadata__ is not an object");
      for (const auto& [k, v] : entry.object) {
        if (v.kind != json::Value::Kind::String) throw fail("__metadata__[\"" + json::Printable(k) + "\"] is not a string");
        out.metadata[k] = v.text;
      }
      continue;
    }
    auto tensorFail = [&](const std::string& why) { return fail("tensor \"" + json::Printable(name) + "\": " + why); };
    if (entry.kind != json::Value::Kind::Object) throw tensorFail("entry is not an object");
    const json::Value* dtype = entry.Find("dtype");
    const json::Value* shape = entry.Find("shape");
    const json::Value* offsets = entry.Find("data_offsets");
    if (dtype == nullptr || dtype->kind != json::Value::Kind::String) throw tensorFail("missing dtype");
    if (shape == nullptr || shape->kind != json::Value::Kind::Array) throw tensorFail("missing shape");
    if (offsets == nullptr || offsets->kind != json::Value::Kind::Array || offsets->array.size() != 2) {
      throw tensorFail("data_offsets must be [begin, end]");
    }
    const DtypeInfo* info = FindDtype(dtype->text);
    if (info == nullptr) throw tensorFail("unsupported dtype " + json::Printable(dtype->text));
    TensorEntry t;
    t.name = name;
    t.dtype = dtype->text;
    std::vector<uint64_t> dims;
    for (const auto& d : shape->array) {
      try {
        dims.push_back(json::ToUint64(d, "shape dimension"));
      } catch (const std::exception& e) {
        throw tensorFail(e.what());
      }
    }
    // Torch sizes are int64 and it multiplies every dimension, zeros included, without overflowing: a shape
    // whose nonzero dimensions (times the element size) pass 2^63-1 bytes cannot become a tensor, even an empty one.
    uint64_t numel = 1;
    uint64_t nonzeroBytes = info->bytes;
    for (uint64_t dim : dims) {
      if (dim != 0 && nonzeroBytes > static_cast<uint64_t>(INT64_MAX) / dim) {
        throw tensorFail("shape " + ShapeText(dims) + " is too large (over 2^63-1 bytes)");
      }
      if (dim != 0) nonzeroBytes *= dim;
      numel *= dim;
      t.shape.push_back(static_cast<int64_t>(dim));
    }
    try {
      t.begin = json::ToUint64(offsets->array[0], "data_offsets[0]");
      t.end = json::ToUint64(offsets->array[1], "data_offsets[1]");
    } catch (const std::exception& e) {
      throw tensorFail(e.what());
    }
    if (t.begin > t.end) {
      throw tensorFail("data_offsets begin " + std::to_string(t.begin) + " > end " + std::to_string(t.end));
    }
    if (t.end > dataSize) {
      throw tensorFail("data_offsets end " + std::to_string(t.end) + " is past the data section (" + std::to_string(dataSize) +
                       " bytes; truncated file?)");
    }
    const uint64_t needed = numel * info->bytes;  // cannot overflow: checked above
    if (t.end - t.begin != needed) {
      throw tensorFail("holds " + std::to_string(t.end - t.begin) + " bytes but " + t.dtype + " x shape needs " +
                       std::to_string(needed) + " (shape " + ShapeText(dims) + ")");
    }
    out.tensors.push_back(std::move(t));
  }

  // Tensors must tile the data section exactly, as the reference implementation requires.
  std::vector<const TensorEntry*> byOffset;
  for (const auto& t : out.tensors) byOffset.push_back(&t);
  std::sort(byOffset.begin(), byOffset.end(), [](const TensorEntry* a, const TensorEntry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t cursor = 0;
  for (const TensorEntry* t : byOffset) {
    if (t->begin < cursor) throw fail("tensor \"" + json::Printable(t->name) + "\" overlaps the tensor before it");
    if (t->begin > cursor) throw fail("a gap of unused bytes precedes tensor \"" + json::Printable(t->name) + "\"");
    cursor = t->end;
  }
  if (cursor != dataSize) throw fail("the data section has " + std::to_string(dataSize - cursor) + " bytes no tensor covers");
  return out;
}

std::shared_ptr<SafetensorsFile> SafetensorsFile::Open(const std::string& path) {
  auto file = std::make_shared<SafetensorsFile>(OpenKey());
  file->path_ = path;
  file->mapping_ = std::make_shared<MappedFile>(path);
  const uint8_t* bytes = file->mapping_->data();
  SafetensorsHeader header = ParseSafetensorsHeader(bytes, file->mapping_->size(), path);
  file->data_ = bytes + header.dataStart;
  file->tensors_ = std::move(header.tensors);
  file->metadata_ = std::move(header.metadata);
  // Names are unique: the JSON reader rejects duplicate keys.
  for (size_t i = 0; i < file->tensors_.size(); ++i) file->index_[file->tensors_[i].name] = i;
  return file;
}

const TensorEntry* SafetensorsFile::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

torch::Tensor SafetensorsFile::View(const std::string& name) const {
  const TensorEntry* t = Find(name);
  if (t == nullptr) throw UserError(json::Printable(path_, 0) + ": no tensor named \"" + json::Printable(name) + "\"");
  auto keepAlive = mapping_;
  // from_blob needs a mutable pointer; the mapping is read-only and callers copy before writing.
  void* ptr = const_cast<uint8_t*>(data_ + t->begin);
  auto options = torch::TensorOptions().dtype(DtypeFromName(t->dtype));
  if (t->end == t->begin) return torch::empty(t->shape, options);
  return torch::from_blob(ptr, t->shape, [keepAlive](void*) {}, options);
}

void WriteSafetensors(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::vector<torch::Tensor> contiguous;
  std::string header = "{";
  bool first = true;
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool firstMeta = true;
    for (const auto& [k, v] : metadata) {
      header += (firstMeta ? "" : ",") + json::Quote(k) + ":" + json::Quote(v);
      firstMeta = false;
    }
    header += "}";
    first = false;
  }
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name == "__metadata__") throw UserError("a tensor cannot be named __metadata__");
    torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
    uint64_t bytes = static_cast<uint64_t>(t.numel()) * t.element_size();
    header += (first ? "" : ",") + json::Quote(name) + ":{\"dtype\":\"" + DtypeName(t.scalar_type()) + "\",\"shape\":[";
    for (int64_t i = 0; i < t.dim(); ++i) header += (i ? "," : "") + std::to_string(t.size(i));
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + bytes) + "]}";
    offset += bytes;
    first = false;
    contiguous.push_back(std::move(t));
  }
  header += "}";
  // Pad the header with spaces to an 8-byte boundary, as the reference writer does.
  while (header.size() % 8 != 0) header += ' ';

  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  auto writeFail = [&](const std::string& what) {
    ::unlink(tmp.c_str());
    return UserError(path + ": cannot write (" + what + ")");
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw UserError(path + ": cannot create " + tmp + " (" + std::strerror(errno) + ")");
  auto writeAll = [&](const void* p, uint64_t n) {
    const char* c = static_cast<const char*>(p);
    while (n > 0) {
      ssize_t w = ::write(fd, c, std::min<uint64_t>(n, 1ULL << 30));
      if (w < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        ::close(fd);
        throw writeFail(std::strerror(err));
      }
      c += w;
      n -= static_cast<uint64_t>(w);
    }
  };
  uint8_t lenBytes[8];
  uint64_t headerLen = header.size();
  for (int i = 0; i < 8; ++i) lenBytes[i] = static_cast<uint8_t>((headerLen >> (8 * i)) & 0xFF);
  writeAll(lenBytes, 8);
  writeAll(header.data(), header.size());
  for (const auto& t : contiguous) writeAll(t.data_ptr(), static_cast<uint64_t>(t.numel()) * t.element_size());
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    throw writeFail(std::strerror(err));
  }
  if (::close(fd) != 0) throw writeFail(std::strerror(errno));
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw writeFail(std::strerror(errno));
}

}  // namespace pn::io
