# The peft-native addon built by node-gyp: what `npm install` and `npm run setup` use.
# Every libtorch-specific flag comes from scripts/native/libtorch-flags.mjs, which reads them off the libtorch
# that the build scripts found (LIBTORCH, the active Python's torch, or .deps/): its include folders, the compile
# definitions its CMake targets export, its libraries and an RPATH to them (no LD_LIBRARY_PATH needed).
# CMakeLists.txt builds the same sources with cmake-js; README ("Building the addon") says when each is used.
{
  # The wrapper header that scripts/native/precompiled-header.mjs precompiles (GYP_DEFINES=peft_native_pch=<file>);
  # empty: no force-include.
  'variables': { 'peft_native_pch%': '' },
  'targets': [
    {
      'target_name': 'peft_native',
      'sources': ['<!@(node scripts/native/libtorch-flags.mjs sources)'],
      'include_dirs': [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        'native',
      ],
      'defines': [
        'NAPI_VERSION=8',
        'NAPI_CPP_EXCEPTIONS',
        'NODE_ADDON_API_DISABLE_DEPRECATED',
        '<!@(node scripts/native/libtorch-flags.mjs defines)',
      ],
      # libtorch needs C++ exceptions and RTTI, which Node's defaults turn off; the standard follows libtorch's.
      'cflags!': ['-fno-exceptions'],
      'cflags_cc!': ['-fno-exceptions', '-fno-rtti', '-std=gnu++17'],
      # Gloo's headers (third_party/gloo/README.md) as system headers, like libtorch's.
      'cflags_cc': ['<!@(node scripts/native/libtorch-flags.mjs cflags_cc)', '-isystem', '<(module_root_dir)/third_party/gloo/include', '-fexceptions', '-frtti', '-Wno-unused-parameter'],
      'libraries': ['<!@(node scripts/native/libtorch-flags.mjs libraries)'],
      'conditions': [
        ['peft_native_pch!=""', { 'cflags_cc': ['-include', '<(peft_native_pch)', '-Winvalid-pch'] }],
      ],
      'xcode_settings': {
        'GCC_ENABLE_CPP_EXCEPTIONS': 'YES',
        'GCC_ENABLE_CPP_RTTI': 'YES',
        'MACOSX_DEPLOYMENT_TARGET': '11.0',
        'OTHER_CPLUSPLUSFLAGS': ['<!@(node scripts/native/libtorch-flags.mjs cflags_cc)', '-isystem', '<(module_root_dir)/third_party/gloo/include', '-Wno-unused-parameter'],
      },
    },
  ],
}
