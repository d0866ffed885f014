package dev.tessera.kernels.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * cuBLAS through FFM, opened by soname like {@link Nvrtc}. Only entry points whose signatures
 * are identical from CUDA 11.4 to 13.x are bound. One {@link Handle} per device, bound to the
 * device's stream with a fixed workspace.
 *
 * <p>Tensors are row-major, cuBLAS is column-major: a row-major {@code C[m,n] = A[m,k] B[k,n]}
 * is the column-major {@code C^T = B^T A^T}, so {@link Handle#gemmRowMajor} passes (B, A) with m
 * and n swapped; a row-major matrix read as column-major is its own transpose, so no data moves.
 */
public final class Cublas {
    /** cudaDataType_t values (library_types.h). */
    public static final int R_32F = 0, R_64F = 1, R_16BF = 14;
    /** cublasComputeType_t values. */
    public static final int COMPUTE_32F = 68, COMPUTE_32F_PEDANTIC = 69, COMPUTE_64F = 70, COMPUTE_32F_FAST_TF32 = 77;
    /** cublasOperation_t values. */
    public static final int OP_N = 0, OP_T = 1;
    /** CUBLAS_GEMM_DEFAULT. */
    public static final int GEMM_DEFAULT = -1;

    private final NativeLibs.Loaded lib;
    private final MethodHandle create, destroy, setStream, setWorkspace, getVersion, getStatusString, gemmStridedBatchedEx;

    private Cublas(NativeLibs.Loaded lib) {
        this.lib = lib;
        create = fn("cublasCreate_v2", ADDRESS);
        destroy = fn("cublasDestroy_v2", ADDRESS);
        setStream = fn("cublasSetStream_v2", ADDRESS, ADDRESS);
        setWorkspace = fn("cublasSetWorkspace_v2", ADDRESS, JAVA_LONG, JAVA_LONG);
        getVersion = fn("cublasGetVersion_v2", ADDRESS, ADDRESS);
        getStatusString = lib.find("cublasGetStatusString")
                .map(a -> NativeLibs.LINKER.downcallHandle(a, FunctionDescriptor.of(ADDRESS, JAVA_INT))).orElse(null);
        gemmStridedBatchedEx = fn("cublasGemmStridedBatchedEx", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS,
                JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT);
    }

    private MethodHandle fn(String name, MemoryLayout... args) {
        return NativeLibs.LINKER.downcallHandle(lib.require(name), FunctionDescriptor.of(JAVA_INT, args));
    }

    /** Opens cuBLAS for a driver version: {@code -Dtessera.cuda.cublas} (a path) or the sonames of {@link NativeLibs#sonames}. */
    public static Optional<Cublas> open(int driverVersion) {
        String forced = System.getProperty("tessera.cuda.cublas");
        Optional<NativeLibs.Loaded> l = forced != null
                ? NativeLibs.open(forced)
                : NativeLibs.openFirst(NativeLibs.sonames("libcublas", driverVersion), NativeLibs.searchDirs());
        return l.map(Cublas::new);
    }

    /** The library that was opened. */
    public NativeLibs.Loaded library() {
        return lib;
    }

    /** cuBLAS's description of a status (or empty). */
    public String statusString(int status) {
        if (getStatusString == null) return "";
        try {
            MemorySegment s = (MemorySegment) getStatusString.invokeExact(status);
            return s.equals(MemorySegment.NULL) ? "" : s.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            return "";
        }
    }

    void check(String call, int status) {
        if (status != 0) throw new CudaException(call, status, CudaErrors.cublasName(status), statusString(status));
    }

    /** Creates a handle bound to {@code stream} using {@code workspaceBytes} at device address {@code workspace}. */
    public Handle createHandle(MemorySegment stream, long workspace, long workspaceBytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment h = a.allocate(ADDRESS);
            check("cublasCreate_v2", (int) create.invokeExact(h));
            MemorySegment handle = h.get(ADDRESS, 0);
            check("cublasSetStream_v2", (int) setStream.invokeExact(handle, stream));
            if (workspaceBytes > 0) check("cublasSetWorkspace_v2", (int) setWorkspace.invokeExact(handle, workspace, workspaceBytes));
            return new Handle(handle);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    /** A cuBLAS handle. */
    public final class Handle implements AutoCloseable {
        private final MemorySegment h;

        private Handle(MemorySegment h) {
            this.h = h;
        }

        /** cublasGetVersion_v2, e.g. 130001. */
        public int version() {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment v = a.allocate(JAVA_INT);
                check("cublasGetVersion_v2", (int) getVersion.invokeExact(h, v));
                return v.get(JAVA_INT, 0);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /**
         * Column-major {@code cublasGemmStridedBatchedEx}; alpha and beta are passed as float for
         * 32-bit compute types and as double for {@link #COMPUTE_64F}.
         */
        public void gemmStridedBatched(int opA, int opB, int m, int n, int k, double alpha,
                                       long a, int aType, int lda, long strideA,
                                       long b, int bType, int ldb, long strideB, double beta,
                                       long c, int cType, int ldc, long strideC, int batch, int compute) {
            try (Arena ar = Arena.ofConfined()) {
                MemorySegment al, be;
                if (compute == COMPUTE_64F) {
                    al = ar.allocateFrom(JAVA_DOUBLE, alpha);
                    be = ar.allocateFrom(JAVA_DOUBLE, beta);
                } else {
                    al = ar.allocateFrom(JAVA_FLOAT, (float) alpha);
                    be = ar.allocateFrom(JAVA_FLOAT, (float) beta);
                }
                int rc = (int) gemmStridedBatchedEx.invokeExact(h, opA, opB, m, n, k, al, a, aType, lda, strideA,
                        b, bType, ldb, strideB, be, c, cType, ldc, strideC, batch, compute, GEMM_DEFAULT);
                check("cublasGemmStridedBatchedEx", rc);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /**
         * Row-major batched {@code C = A B} where A is [m,k] (or its transpose stored [k,m] when
         * {@code transA}) with leading dimension lda, B likewise, and C [m,n] with leading
         * dimension ldc. Implemented as the column-major {@code C^T = B^T A^T}.
         */
        public void gemmRowMajor(boolean transA, boolean transB, int m, int n, int k,
                                 long a, int aType, int lda, long strideA,
                                 long b, int bType, int ldb, long strideB,
                                 long c, int cType, int ldc, long strideC, int batch, int compute) {
            gemmStridedBatched(transB ? OP_T : OP_N, transA ? OP_T : OP_N, n, m, k, 1.0,
                    b, bType, ldb, strideB, a, aType, lda, strideA, 0.0, c, cType, ldc, strideC, batch, compute);
        }

        @Override
        public void close() {
            try {
                check("cublasDestroy_v2", (int) destroy.invokeExact(h));
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }
    }
}
