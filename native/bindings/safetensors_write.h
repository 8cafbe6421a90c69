// Writing safetensors off the JS thread, shared by Model.saveParameters and safetensors.writeTensors.
#pragma once

#include <napi.h>
#include "common/torch_api.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace pn {

// The tensors must already be private copies: the write runs on a worker thread.
Napi::Promise WriteSafetensorsAsync(Napi::Env env, std::string file, std::vector<std::pair<std::string, torch::Tensor>> tensors,
                                    std::map<std::string, std::string> metadata);

}  // namespace pn
