/**
 * The operation vocabulary of the {@link dev.tessera.tensor.Backend} interface: element-wise unary
 * and binary functions and reductions, each with its float64 definition (the reference the tests
 * check every kernel against).
 */
package dev.tessera.tensor.ops;
