// safetensors files: a validated, memory-mapped reader and an atomic writer.
// Format: u64 little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets:[b,e]}, "__metadata__": {..}},
// then the data section; offsets are relative to the data section.
#pragma once

#include "common/torch_api.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace pn::io {

struct TensorEntry {
  std::string name;
  std::string dtype;  // safetensors spelling: F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte offsets inside the data section
  uint64_t end = 0;
};

// What a validated header says: the tensors (in header order), the metadata, and where the data section starts.
struct SafetensorsHeader {
  std::vector<TensorEntry> tensors;
  std::map<std::string, std::string> metadata;
  uint64_t dataStart = 0;  // 8 + header length: the data section is bytes [dataStart, size)
};

// Validates a whole safetensors file held in memory (`size` bytes at `bytes`) the way Open() does, and throws
// the same pn::UserError, naming `path`, on any problem. Open() is this over a memory map; the fuzz target
// (native/fuzz/) calls it on byte buffers.
SafetensorsHeader ParseSafetensorsHeader(const uint8_t* bytes, uint64_t size, const std::string& path);

class MappedFile;  // RAII mmap of a whole file

class SafetensorsFile {
 public:
  // Maps and validates the file: header length within the file, JSON well formed, known dtypes,
  // offsets inside the data section, no overlaps or holes, byte size = dtype size x element count.
  // Throws pn::UserError naming the file (and tensor) on any problem.
  static std::shared_ptr<SafetensorsFile> Open(const std::string& path);

  // Only Open() can make the key, so only Open() constructs (through make_shared).
  struct OpenKey {
   private:
    OpenKey() = default;
    friend class SafetensorsFile;
  };
  explicit SafetensorsFile(OpenKey) {}

  const std::string& path() const { return path_; }
  const std::vector<TensorEntry>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const TensorEntry* Find(const std::string& name) const;

  // A CPU tensor viewing the mapped bytes (no copy, read-only by contract); it keeps the mapping alive.
  torch::Tensor View(const std::string& name) const;

 private:
  std::string path_;
  std::shared_ptr<MappedFile> mapping_;
  const uint8_t* data_ = nullptr;  // start of the data section
  std::vector<TensorEntry> tensors_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// Writes tensors (made contiguous, moved to CPU) to `path` atomically: a temporary file in the same
// folder is written and flushed, then renamed over `path`. On failure `path` is untouched.
void WriteSafetensors(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata);

// safetensors dtype name <-> torch dtype; throws for dtypes peft-native does not handle.
torch::ScalarType DtypeFromName(const std::string& name);
std::string DtypeName(torch::ScalarType type);

}  // namespace pn::io
