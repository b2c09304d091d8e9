#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build script: the builder sets CC, CFLAGS,
# CXX, CXXFLAGS, LIB_FUZZING_ENGINE and OUT; scripts/oss-fuzz-build turns
# every fuzz/<target>.c into $OUT/<target> with its seed corpus zip,
# dictionary and options.
cd "$SRC/drydock"
scripts/oss-fuzz-build
