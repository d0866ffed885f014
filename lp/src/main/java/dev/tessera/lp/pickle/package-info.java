/**
 * The course's pickle files: {@link dev.tessera.lp.pickle.CoursePickles} reads inputs and labels
 * and writes predictions, with an unpickler restricted to the NumPy types those files hold.
 */
package dev.tessera.lp.pickle;
