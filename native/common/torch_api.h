// The part of the libtorch C++ API the addon uses: tensors and every ATen op in namespace torch, autograd
// (custom Functions, torch::autograd::grad, NoGradGuard), thread and CUDA queries. Included instead of
// <torch/torch.h>, which also brings torch::nn, torch::optim, torch::data and serialization, none of which the
// addon uses, and makes each file take about 1.5x as long to compile.
#pragma once

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/cuda.h>
#include <torch/types.h>
#include <torch/utils.h>
