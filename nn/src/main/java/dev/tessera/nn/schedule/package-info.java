/**
 * Learning-rate schedules as pure functions of the step: constant, step, exponential, cosine,
 * warm-up + cosine and one-cycle.
 */
package dev.tessera.nn.schedule;
