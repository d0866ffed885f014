#!/usr/bin/env bash
# The CUDA backend's GPU run, in two steps (see shared/GPU.md §3 and §7).
#
#   bench/gpu/run.sh build   on a development machine (JDK 25 in JAVA_HOME, Maven): builds the bundle
#                            target-gpu/bundle/ = jre.tar.gz (jlink'd runtime with the JVM options baked in),
#                            gpu-tests.jar (kernels + its tests + dependencies + JUnit console launcher) and
#                            benchmarks.jar (the JMH/benchmark jar), and checks it stays under 64 MiB.
#   bench/gpu/run.sh run     on the GPU machine, from the repository root with target-gpu/bundle carried:
#                            unpacks the runtime to /tmp, finds libcublas/libnvrtc, prints the environment,
#                            runs the GPU test suite (JUnit tag "gpu"), the GPU benchmarks and, when PyTorch is
#                            installed, the PyTorch peers; every log goes to $OUT (or ./gpu-results).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUNDLE=${TESSERA_GPU_BUNDLE:-$ROOT/target-gpu/bundle}
BUILD=target-gpu

build() {
  : "${JAVA_HOME:?set JAVA_HOME to a JDK 25}"
  local jar="$JAVA_HOME/bin/jar" stage cp
  rm -rf "$BUNDLE"
  mkdir -p "$BUNDLE"
  cd "$ROOT"
  echo "[build] kernels + tests (profile gpu-bundle)"
  mvn -B -q -ntp -DbuildDir=$BUILD -pl kernels -am -Pgpu-bundle test-compile dependency:build-classpath \
      -Dmdep.includeScope=test -Dmdep.outputFile="$ROOT/$BUILD/test-classpath.txt"
  stage=$(mktemp -d)
  IFS=: read -r -a cp < "$ROOT/$BUILD/test-classpath.txt" || true  # no trailing newline: read returns 1
  for entry in "${cp[@]}"; do
    if [[ -d "$entry" ]]; then cp -r "$entry/." "$stage/"
    elif [[ "$entry" == *.jar ]]; then (cd "$stage" && "$jar" xf "$entry")
    fi
  done
  cp -r "$ROOT/kernels/$BUILD/classes/." "$ROOT/kernels/$BUILD/test-classes/." "$stage/"
  rm -rf "$stage"/META-INF/*.SF "$stage"/META-INF/*.DSA "$stage"/META-INF/*.RSA "$stage"/META-INF/MANIFEST.MF
  find "$stage" -name module-info.class -delete
  printf 'Main-Class: org.junit.platform.console.ConsoleLauncher\nEnable-Native-Access: ALL-UNNAMED\n' > "$stage.mf"
  "$jar" --create --file "$BUNDLE/gpu-tests.jar" --manifest "$stage.mf" -C "$stage" .
  rm -rf "$stage" "$stage.mf"

  echo "[build] benchmarks.jar"
  mvn -B -q -ntp -DbuildDir=$BUILD -pl bench -am package -DskipTests
  cp "$ROOT/bench/$BUILD/benchmarks.jar" "$BUNDLE/benchmarks.jar"

  echo "[build] jlink runtime"
  rm -rf "$BUNDLE/jre"
  "$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.incubator.vector,jdk.unsupported,java.logging,jdk.zipfs,java.management \
      --strip-debug --no-header-files --no-man-pages \
      --add-options="--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED" \
      --output "$BUNDLE/jre"
  if command -v strip >/dev/null; then strip --strip-unneeded "$BUNDLE/jre/lib/server/libjvm.so" || true; fi
  tar -C "$BUNDLE" -czf "$BUNDLE/jre.tar.gz" jre
  rm -rf "$BUNDLE/jre"

  local total
  total=$(du -cb "$BUNDLE"/* | tail -1 | cut -f1)
  ls -l "$BUNDLE"
  echo "[build] bundle: $((total / 1048576)) MiB (limit 64 MiB)"
  if (( total > 64 * 1048576 )); then echo "[build] bundle too large to carry" >&2; exit 1; fi
  echo "[build] carry target-gpu/bundle and run: bash bench/gpu/run.sh run"
}

run() {
  local results=${OUT:-$ROOT/gpu-results} java=/tmp/tessera-jre/bin/java libs n f
  mkdir -p "$results"
  [[ -f "$BUNDLE/jre.tar.gz" ]] || { echo "no bundle at $BUNDLE: run 'bench/gpu/run.sh build' first and carry it" >&2; exit 1; }
  rm -rf /tmp/tessera-jre /tmp/jre
  tar -C /tmp -xzf "$BUNDLE/jre.tar.gz" && mv /tmp/jre /tmp/tessera-jre
  libs=""
  for n in libcublas.so.13 libnvrtc.so.13 libcublas.so.12 libnvrtc.so.12; do
    f=$(find / \( -path /proc -o -path /sys -o -path '*fake-cuda*' \) -prune -o -name "$n" -print -quit 2>/dev/null || true)
    [[ -n "$f" ]] && libs="$libs:$(dirname "$f")"
  done
  export LD_LIBRARY_PATH="${libs#:}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  {
    date -u
    nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv || true
    echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
    find / \( -path /proc -o -path /sys \) -prune -o \( -name 'libcuda.so.1' -o -name 'libcublas.so.1[23]*' \
        -o -name 'libnvrtc.so.1[23]*' -o -name 'libnvrtc-builtins.so*' -o -name 'cublas_api.h' -o -name 'nvrtc.h' \) -print 2>/dev/null || true
    "$java" -version
    "$java" -cp "$BUNDLE/gpu-tests.jar" -Dtessera.kernel.cache=/tmp/tessera-kernels dev.tessera.kernels.CudaInfo
  } 2>&1 | tee "$results/env.log"
  set +e
  "$java" -Dtessera.kernel.cache=/tmp/tessera-kernels -jar "$BUNDLE/gpu-tests.jar" execute \
      --select-package dev.tessera.kernels --include-tag gpu --details=tree --disable-banner 2>&1 | tee "$results/gpu-tests.log"
  local tests=${PIPESTATUS[0]}
  "$java" -Dtessera.kernel.cache=/tmp/tessera-kernels -cp "$BUNDLE/benchmarks.jar" dev.tessera.bench.GemmGpuBench 2>&1 \
      | tee "$results/gemm-gpu.log"
  "$java" -Dtessera.kernel.cache=/tmp/tessera-kernels -cp "$BUNDLE/benchmarks.jar" dev.tessera.bench.ElementwiseGpuBench 2>&1 \
      | tee "$results/elementwise-gpu.log"
  # issue 11: fused attention, the sparse MoE layer, the m-height training step
  for b in AttentionGpuBench MoeGpuBench MHeightGpuTrainBench; do
    "$java" -Dtessera.kernel.cache=/tmp/tessera-kernels -cp "$BUNDLE/benchmarks.jar" dev.tessera.bench.$b 2>&1 \
        | tee "$results/$b.log"
  done
  if python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
    python3 "$ROOT/bench/peers/gemm_gpu.py" 2>&1 | tee "$results/gemm-torch.log"
    python3 "$ROOT/bench/peers/elementwise_gpu.py" 2>&1 | tee "$results/elementwise-torch.log"
    python3 "$ROOT/bench/peers/attention_gpu.py" 2>&1 | tee "$results/attention-torch.log"
    python3 "$ROOT/bench/peers/moe_gpu.py" 2>&1 | tee "$results/moe-torch.log"
    python3 "$ROOT/bench/peers/mheight_gpu.py" 2>&1 | tee "$results/mheight-torch.log"
  else
    echo "PyTorch with CUDA not available: peers skipped" | tee "$results/peers-skipped.log"
  fi
  echo "logs in $results; GPU test suite exit status $tests"
  return "$tests"
}

case "${1:-}" in
  build) build ;;
  run) run ;;
  *) echo "usage: $0 build|run" >&2; exit 2 ;;
esac
