/**
 * <b>Internal</b>: bindings of the CUDA driver API, NVRTC and cuBLAS (looked up by soname at run
 * time, CUDA 12 and 13) and the exception that names a failed call.
 */
package dev.tessera.kernels.cuda;
