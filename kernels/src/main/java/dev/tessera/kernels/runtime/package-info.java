/**
 * <b>Internal</b>: devices, streams, events, host staging buffers, and kernel modules (on-disk
 * CUBIN cache, NVRTC compilation, PTX fallback).
 */
package dev.tessera.kernels.runtime;
