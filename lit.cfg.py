# lit configuration for ajpq. Tests live under test/; binaries come from
# $AJPQ_BUILD_DIR/bin (default: build/bin). Run through `make check`.
import os
import lit.formats

config.name = "ajpq"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".test", ".c.test", ".sh"]
config.excludes = ["Inputs", "CMakeLists.txt", "README.md", "lit.local.cfg"]
# Only test/ holds tests (the Makefile runs `lit test`); names here match at
# any depth, so only the build trees are excluded.
config.excludes += ["build", "build-asan"]

root = os.path.dirname(os.path.abspath(__file__))
# lit maps a path given on its command line (e.g. `test/ajpq-opt`) relative to
# the folder holding this file, so the source root is the repository root and
# tests are found under test/ (run `lit test` or `lit test/<dir>`).
config.test_source_root = root
build_dir = os.environ.get("AJPQ_BUILD_DIR", os.path.join(root, "build"))
config.test_exec_root = build_dir
llvm_bin = "/usr/lib/llvm-22/bin"

path = [os.path.join(build_dir, "bin"), llvm_bin, config.environment.get("PATH", os.environ.get("PATH", ""))]
config.environment["PATH"] = os.pathsep.join(path)
for var in ("HOME", "AJPQ_DATA", "ASAN_OPTIONS", "UBSAN_OPTIONS", "TMPDIR", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    if var in os.environ:
        config.environment[var] = os.environ[var]
config.environment.setdefault("AJPQ_DATA", os.path.join(os.path.expanduser("~"), ".cache", "ajpq"))
# UBSan must fail the test, not just print. Sanitizer reports abort (a signal,
# not exit status 1) so that `not ajpq-opt ...` lines cannot hide them: lit's
# `not` passes on status 1 but fails on a crash.
config.environment.setdefault("UBSAN_OPTIONS", "halt_on_error=1:abort_on_error=1:print_stacktrace=1")
config.environment.setdefault("ASAN_OPTIONS", "abort_on_error=1")

config.substitutions.append(("%ajpq_src", root))
config.substitutions.append(("%ajpq_build", build_dir))
config.substitutions.append(("%ajpq_data", config.environment["AJPQ_DATA"]))
config.substitutions.append(("%python", "python3"))

# Data-dependent tests say `REQUIRES: data`; `make check` runs `make data` first,
# so the feature is present there. Without the cache those tests are reported
# UNSUPPORTED (visible in the summary), never silently passed.
if os.path.exists(os.path.join(config.environment["AJPQ_DATA"], ".complete")):
    config.available_features.add("data")
if os.path.exists(os.path.join(build_dir, "bin", "ajpq-translate")):
    config.available_features.add("onnx")
